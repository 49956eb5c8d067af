/**
 * The real upstream: UDP with a fresh socket (random source port, RFC 5452
 * §4.5; through the addon when it loads, see upstream-udp.ts) and a random
 * ID per query; an answer counts only when it comes from
 * the address and port asked, with the same ID and question (RFC 5452 §9.1);
 * TCP retry when the answer is truncated (RFC 7766 §5); per-query timeout,
 * failover to the next upstream, and a hold-down for an upstream that keeps
 * failing; a hard cap on outstanding queries.
 */
import { randomFillSync, randomInt } from 'node:crypto';
import net from 'node:net';
import { formatIpv6, parseIpv6 } from '@sixgate/addressing';
import type { Endpoint } from '../config.js';
import { Dns64Error } from '../errors.js';
import type { Dns64Counters } from '../metrics.js';
import type { Upstream, UpstreamDone, UpstreamHealth, UpstreamQuestion } from '../upstream.js';
import { FLAG, TYPE, encodeNameInto } from '../wire.js';
import type { UdpBackend } from './udp.js';
import { DeadlineQueue, type DeadlineEntry } from './deadlines.js';
import { openUpstreamUdp, type DatagramReceiver, type SentQuery, type UpstreamPortPool, type UpstreamUdp } from './upstream-udp.js';

/** Settings of the upstream client. */
export interface UpstreamClientOptions {
  readonly timeoutMs: number;
  readonly attempts: number;
  readonly failover: boolean;
  readonly maxOutstanding: number;
  /** Consecutive failures before an upstream is skipped, and for how long. */
  readonly holdDownAfter?: number;
  readonly holdDownMs?: number;
  /** Upstream sockets of the addon backend (see UpstreamPortPool; defaults UPSTREAM_PORT_POOL). */
  readonly portPool?: UpstreamPortPool;
  /** 0x20: random letter case in the question name, answers must echo it exactly (default true). */
  readonly caseRandomization?: boolean;
}

interface ServerState {
  readonly ep: Endpoint;
  queries: number;
  failures: number;
  timeouts: number;
  consecutive: number;
  downUntil: number;
}

/** Builds the query bytes: RD, optional CD, one question, OPT with DO as asked. */
export function buildUpstreamQuery(id: number, q: UpstreamQuestion): Buffer {
  // From Node's shared pool (no ArrayBuffer of its own per query); every byte is written below.
  const buf = Buffer.allocUnsafe(12 + q.name.length + 2 + 4 + 11);
  buf.writeUInt16BE(id, 0);
  buf.writeUInt16BE(FLAG.rd | (q.checkingDisabled ? FLAG.cd : 0), 2);
  buf.writeUInt16BE(1, 4);
  buf.writeUInt32BE(0, 6); // ANCOUNT, NSCOUNT
  buf.writeUInt16BE(1, 10);
  let o = encodeNameInto(q.name, buf, 12);
  buf.writeUInt16BE(q.type, o);
  buf.writeUInt16BE(q.qclass, o + 2);
  o += 4;
  // OPT: root owner, type, UDP size 1232, extended RCODE and version 0, DO as asked, no options.
  buf[o] = 0;
  buf.writeUInt16BE(TYPE.OPT, o + 1);
  buf.writeUInt16BE(1232, o + 3);
  buf.writeUInt16BE(0, o + 5);
  buf.writeUInt16BE(q.dnssecOk ? 0x8000 : 0, o + 7);
  buf.writeUInt16BE(0, o + 9);
  return o + 11 === buf.length ? buf : buf.subarray(0, o + 11);
}

/** `matchesQuery` results. */
export const MATCH = 0;
export const NO_MATCH = 1;
/** The same question except for the letter case of the name (0x20 randomisation caught a mismatch). */
export const CASE_MISMATCH = 2;

/**
 * Whether `answer` is a response to `query`: ID, QR, QDCOUNT 1 and the same
 * question — the name compared case-insensitively (RFC 4343: only A–Z fold),
 * type and class byte for byte. With `exactCase` (the query's name carries
 * 0x20 random case) a name that matches only when folded is CASE_MISMATCH.
 */
export function matchesQuery(answer: Uint8Array, query: Uint8Array, exactCase = false): number {
  if (answer.length < 12 || answer[0] !== query[0] || answer[1] !== query[1]) return NO_MATCH;
  if ((answer[2]! & 0x80) === 0 || answer[4] !== 0 || answer[5] !== 1) return NO_MATCH;
  // Our queries are header, question, OPT (11 bytes): the question ends 11 bytes before the end.
  const qEnd = query.length - 11;
  if (answer.length < qEnd) return NO_MATCH;
  let caseDiffers = false;
  const nameEnd = qEnd - 4;
  for (let i = 12; i < nameEnd; i++) {
    const a = answer[i]!;
    const b = query[i]!;
    if (a === b) continue;
    // Length bytes (at most 63) are never letters, so folding them is harmless only if they are equal.
    if ((a | 0x20) !== (b | 0x20) || (a | 0x20) < 0x61 || (a | 0x20) > 0x7a) return NO_MATCH;
    caseDiffers = true;
  }
  for (let i = nameEnd; i < qEnd; i++) if (answer[i] !== query[i]) return NO_MATCH;
  return caseDiffers && exactCase ? CASE_MISMATCH : MATCH;
}

/** Random bits for 0x20 case, drawn from a refilled pool (one crypto call per 4 KiB, not per query). */
const caseBits = Buffer.alloc(4096);
let caseBitPos = caseBits.length * 8;

function randomBit(): number {
  if (caseBitPos >= caseBits.length * 8) {
    randomFillSync(caseBits);
    caseBitPos = 0;
  }
  const bit = (caseBits[caseBitPos >> 3]! >> (caseBitPos & 7)) & 1;
  caseBitPos++;
  return bit;
}

/**
 * 0x20 (draft-vixie-dnsext-dns0x20): upper-cases a random half of the
 * letters of the question name in `query` (built by buildUpstreamQuery, name
 * in lower case). A spoofer must now guess the case pattern too.
 */
export function randomizeCase(query: Uint8Array): void {
  const nameEnd = query.length - 11 - 4;
  let o = 12;
  while (o < nameEnd) {
    const len = query[o]!;
    for (let i = o + 1; i <= o + len; i++) {
      const c = query[i]!;
      if (c >= 0x61 && c <= 0x7a && randomBit() === 1) query[i] = c - 0x20;
    }
    o += len + 1;
  }
}

/** Folds the question name of an accepted answer back to lower case (the case the resolver asked with). */
export function foldQuestionCase(answer: Uint8Array, query: Uint8Array): void {
  const nameEnd = query.length - 11 - 4;
  let o = 12;
  while (o < nameEnd) {
    const len = answer[o]!;
    for (let i = o + 1; i <= o + len; i++) {
      const c = answer[i]!;
      if (c >= 0x41 && c <= 0x5a) answer[i] = c + 0x20;
    }
    o += len + 1;
  }
}

/**
 * One UDP attempt in flight: the deadline-queue links, the question and the
 * caller's callback, and the receiver of the transport's datagrams, in one
 * object (no timer, closure or map entry of its own).
 */
class UdpWait implements DeadlineEntry, DatagramReceiver {
  deadline = 0;
  prev: DeadlineEntry | undefined = undefined;
  next: DeadlineEntry | undefined = undefined;
  queued = false;
  finished = false;
  sent: SentQuery | undefined = undefined;

  constructor(
    private readonly client: UpstreamClient,
    readonly server: ServerState,
    readonly query: Buffer,
    readonly q: UpstreamQuestion,
    readonly attempt: number,
    readonly done: UpstreamDone,
  ) {}

  get ep(): Endpoint {
    return this.server.ep;
  }

  onDatagram(msg: Buffer, fromPeer: boolean): void {
    // RFC 5452 §9.1: only the server asked, from the port asked, with our ID and question.
    const m = fromPeer ? matchesQuery(msg, this.query, this.client.caseRandomized) : NO_MATCH;
    if (m !== MATCH) {
      if (m === CASE_MISMATCH) this.client.countCaseMismatch();
      else this.client.countStray();
      return;
    }
    if (this.client.caseRandomized) foldQuestionCase(msg, this.query);
    this.client.finishUdp(this, undefined, msg);
  }

  onError(e: Error): void {
    this.client.countStray();
    this.client.finishUdp(this, new Dns64Error('ERR_UPSTREAM_FAILED', `${this.ep.address}:${this.ep.port}: ${e.message}`));
  }
}

/** UDP/TCP client over a list of upstream resolvers. */
export class UpstreamClient implements Upstream {
  readonly #servers: ServerState[];
  #outstanding = 0;
  /** TCP retries in flight, to abort on close. */
  readonly #sockets = new Map<object, () => void>();
  /** UDP queries in flight, in deadline order on one timer (no setTimeout per query). */
  readonly #udpWaits = new DeadlineQueue<UdpWait>((w) => this.#udpTimedOut(w));
  readonly #transport: UpstreamUdp;

  constructor(
    servers: readonly Endpoint[],
    private readonly opts: UpstreamClientOptions,
    private readonly counters: Dns64Counters,
    private readonly now: () => number = Date.now,
    udp: UdpBackend = 'auto',
  ) {
    this.#transport = openUpstreamUdp(udp, opts.portPool, () => this.counters.upstreamErrors++);
    this.#servers = servers.map((ep) => ({
      ep: ep.family === 6 ? { ...ep, address: formatIpv6(parseIpv6(ep.address)) } : ep,
      queries: 0, failures: 0, timeouts: 0, consecutive: 0, downUntil: 0,
    }));
  }

  /** Counts an upstream datagram that is not an answer to the query (wrong peer, ID or question) or a socket error. */
  countStray(): void {
    this.counters.upstreamErrors++;
  }

  /** Counts an answer whose question differs from ours only in letter case (0x20): dropped, likely spoofed. */
  countCaseMismatch(): void {
    this.counters.upstreamCaseMismatch++;
  }

  /** Whether queries carry 0x20 random case. */
  get caseRandomized(): boolean {
    return this.opts.caseRandomization !== false;
  }

  /** Which UDP implementation sends the queries. */
  get udpKind(): 'native' | 'dgram' {
    return this.#transport.kind;
  }

  /** Upstream queries in flight. */
  get outstanding(): number {
    return this.#outstanding;
  }

  health(): UpstreamHealth[] {
    const now = this.now();
    return this.#servers.map((s) => ({
      address: s.ep.address, port: s.ep.port, queries: s.queries, failures: s.failures, timeouts: s.timeouts,
      consecutiveFailures: s.consecutive, down: s.downUntil > now,
    }));
  }

  close(): void {
    this.#udpWaits.clear((w) => this.finishUdp(w, new Dns64Error('ERR_UPSTREAM_FAILED', 'upstream client closed')));
    for (const abort of [...this.#sockets.values()]) abort();
    this.#transport.close();
  }

  lookup(q: UpstreamQuestion): Promise<Buffer> {
    return new Promise((resolve, reject) => this.query(q, (err, wire) => (err === undefined ? resolve(wire!) : reject(err))));
  }

  /**
   * `lookup` with a callback: `done(undefined, answer)` or `done(error)`
   * (a Dns64Error, or whatever unexpected the transport threw), once. The
   * miss path's form: no promise per attempt or per query.
   */
  query(q: UpstreamQuestion, done: UpstreamDone): void {
    if (this.#servers.length === 0) return done(new Dns64Error('ERR_UPSTREAM_FAILED', 'no upstream resolvers configured'));
    if (this.#outstanding >= this.opts.maxOutstanding) {
      this.counters.upstreamOverload++;
      return done(new Dns64Error('ERR_UPSTREAM_OVERLOAD', `${this.#outstanding} upstream queries outstanding (maxOutstanding)`));
    }
    this.#outstanding++;
    this.#attempt(q, 0, undefined, done);
  }

  #attempt(q: UpstreamQuestion, attempt: number, last: unknown, done: UpstreamDone): void {
    if (attempt >= this.opts.attempts) {
      this.#outstanding--;
      return done(last);
    }
    this.#once(this.#pick(attempt), q, attempt, done);
  }

  /** How attempt `w` ended: the answer, or the next attempt after an upstream failure. */
  #attemptDone(w: UdpWait, err: unknown, answer?: Buffer): void {
    const s = w.server;
    if (err === undefined) {
      s.consecutive = 0;
      s.downUntil = 0;
      this.#outstanding--;
      return w.done(undefined, answer);
    }
    if (!(err instanceof Dns64Error)) {
      this.#outstanding--;
      return w.done(err);
    }
    this.#failed(s, err);
    this.#attempt(w.q, w.attempt + 1, err, w.done);
  }

  /** The upstream for this attempt: with failover, the next one that is not held down. */
  #pick(attempt: number): ServerState {
    const list = this.#servers;
    if (!this.opts.failover || list.length === 1) return list[0]!;
    const now = this.now();
    let up = 0;
    for (const s of list) if (s.downUntil <= now) up++;
    if (up === list.length) return list[attempt % list.length]!;
    if (up === 0) return [...list].sort((a, b) => a.downUntil - b.downUntil)[attempt % list.length]!;
    let k = attempt % up;
    for (const s of list) if (s.downUntil <= now && k-- === 0) return s;
    return list[0]!;
  }

  #failed(s: ServerState, err: Dns64Error): void {
    s.failures++;
    if (err.code === 'ERR_UPSTREAM_TIMEOUT') s.timeouts++;
    s.consecutive++;
    if (s.consecutive >= (this.opts.holdDownAfter ?? 3)) s.downUntil = this.now() + (this.opts.holdDownMs ?? 30_000);
  }

  #once(s: ServerState, q: UpstreamQuestion, attempt: number, done: UpstreamDone): void {
    s.queries++;
    this.counters.upstreamQueries++;
    const query = buildUpstreamQuery(randomInt(0, 65536), q);
    if (this.caseRandomized) randomizeCase(query);
    const w = new UdpWait(this, s, query, q, attempt, done);
    try {
      this.#udpWaits.add(w, this.opts.timeoutMs);
      w.sent = this.#transport.send(s.ep, query, w);
    } catch (err) {
      this.#udpWaits.remove(w);
      w.finished = true;
      this.#attemptDone(w, err);
    }
  }

  /** A UDP answer with TC: the same query again over TCP (RFC 7766 §5). */
  #retryTcp(w: UdpWait): void {
    this.counters.upstreamTcpRetries++;
    this.#tcp(w.ep, w.query).then((answer) => this.#attemptDone(w, undefined, answer), (err: unknown) => this.#attemptDone(w, err));
  }

  /** Ends a UDP attempt: out of the deadline queue, its socket released, then on to #attemptDone. */
  finishUdp(w: UdpWait, err: Dns64Error | undefined, msg?: Buffer): void {
    if (w.finished) return;
    w.finished = true;
    this.#udpWaits.remove(w);
    w.sent?.end();
    if (err) return this.#attemptDone(w, err);
    // A truncated answer is asked again over TCP.
    if ((msg![2]! & (FLAG.tc >> 8)) !== 0) return this.#retryTcp(w);
    this.#attemptDone(w, undefined, msg);
  }

  #udpTimedOut(w: UdpWait): void {
    this.counters.upstreamTimeouts++;
    this.finishUdp(w, new Dns64Error('ERR_UPSTREAM_TIMEOUT', `no answer from ${w.ep.address}:${w.ep.port} within ${this.opts.timeoutMs} ms`));
  }

  #tcp(ep: Endpoint, query: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: ep.address, port: ep.port });
      let buf = Buffer.alloc(0);
      let finished = false;
      const done = (err: Dns64Error | undefined, msg?: Buffer): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        this.#sockets.delete(sock);
        sock.destroy();
        if (err) reject(err);
        else resolve(msg!);
      };
      this.#sockets.set(sock, () => done(new Dns64Error('ERR_UPSTREAM_FAILED', 'upstream client closed')));
      const timer = setTimeout(() => {
        this.counters.upstreamTimeouts++;
        done(new Dns64Error('ERR_UPSTREAM_TIMEOUT', `no TCP answer from ${ep.address}:${ep.port} within ${this.opts.timeoutMs} ms`));
      }, this.opts.timeoutMs);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      sock.on('connect', () => sock.write(Buffer.concat([len, query])));
      sock.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        const m = matchesQuery(msg, query, this.caseRandomized);
        if (m === MATCH) {
          const copy = Buffer.from(msg);
          if (this.caseRandomized) foldQuestionCase(copy, query);
          return done(undefined, copy);
        }
        if (m === CASE_MISMATCH) this.counters.upstreamCaseMismatch++;
        else this.counters.upstreamErrors++;
        done(new Dns64Error('ERR_UPSTREAM_FAILED', `${ep.address}:${ep.port} sent a TCP answer that does not match the question`));
      });
      sock.on('error', (e) => {
        this.counters.upstreamErrors++;
        done(new Dns64Error('ERR_UPSTREAM_FAILED', `${ep.address}:${ep.port} (TCP): ${e.message}`));
      });
      sock.on('close', () => done(new Dns64Error('ERR_UPSTREAM_FAILED', `${ep.address}:${ep.port} closed the TCP connection without an answer`)));
    });
  }
}
