/**
 * The DNS64 server: UDP and TCP listeners on every `listen` address, access
 * control (recursion only for `clients`, REFUSED otherwise — never an open
 * resolver), per-prefix rate limiting, malformed input counted and answered
 * with FORMERR or dropped, then the resolver. UDP answers fit the client's
 * buffer (512 without EDNS, RFC 1035 §4.2.1; RFC 6891 §6.2.5) or carry TC.
 */
import { ipv4InCidr, ipv6InCidr, parseNat64Prefix, type Nat64Prefix } from '@sixgate/addressing';
import { validateDns64Options, type Dns64Input, type Endpoint, type ResolvedDns64Options } from '../config.js';
import { Dns64Error } from '../errors.js';
import { createCounters, snapshot, type Dns64Counters } from '../metrics.js';
import { RATE_OK, RATE_PREFIX, RateLimiter } from '../rate-limit.js';
import { Dns64Resolver } from '../resolver.js';
import type { Upstream, UpstreamHealth } from '../upstream.js';
import { FLAG, RCODE, QueryProbe, headerOnlyInto, headerOnlyResponse, ownCopy, parseQuery, probeQuery, type ParsedQuery } from '../wire.js';
import { ClientCache, type ClientInfo } from './client-cache.js';
import { hostClientNetworks, resolvConfNameservers } from './host.js';
import { LoopLagMonitor } from './loop-lag.js';
import type { NativeUdpStats } from './native-udp.js';
import { TcpHandler } from './tcp.js';
import { openUdpListener, type LateReplies, type UdpBackend, type UdpListener } from './udp.js';
import { UpstreamClient } from './upstream-client.js';

export type { ClientInfo } from './client-cache.js';
export type { UdpBackend } from './udp.js';

/** A decision record per query, given to `onTrace` only when it is set. */
export interface TraceRecord {
  readonly client: string;
  readonly transport: 'udp' | 'tcp';
  readonly qname: string;
  readonly qtype: number;
  readonly decision: string;
  readonly rcode: number;
  readonly synthesized: boolean;
  readonly durationMs: number;
}

/** Counters plus cache and upstream state. */
export interface Dns64Stats extends Readonly<Dns64Counters> {
  readonly cacheEntries: number;
  readonly cacheBytes: number;
  readonly upstreamOutstanding: number;
  readonly upstreams: readonly UpstreamHealth[];
  /** Event-loop lag over the last 10 s window while running: 99th percentile and maximum, seconds. */
  readonly loopLagP99: number;
  readonly loopLagMax: number;
  /** The upstream round trip the resolver measures (seconds; absent before the first AAAA answer), and whether misses ask A with AAAA now. */
  readonly upstreamRtt?: number;
  readonly parallelA: boolean;
}

/** A bound listener address. */
export interface BoundAddress {
  readonly transport: 'udp' | 'tcp';
  readonly address: string;
  readonly port: number;
}

/** Injected collaborators (tests, benchmarks). */
export interface Dns64ServerDeps {
  readonly upstream?: Upstream;
  readonly now?: () => number;
  readonly onTrace?: (r: TraceRecord) => void;
  /**
   * UDP implementation: `auto` (default) uses the batched addon when it
   * loads, else node:dgram; the SIXGATE_DNS64_UDP environment variable
   * (`native`, `dgram`) overrides `auto`.
   */
  readonly udp?: UdpBackend;
}

type Answer = { wire: Buffer; q: ParsedQuery | undefined };

/** `#answer`'s result: an answer now, a parsed query that missed the cache (to resolve), or nothing (dropped). */
type Answered = Answer | ParsedQuery | undefined;

function isAnswer(r: Answer | ParsedQuery): r is Answer {
  return 'wire' in r;
}

function udpBackendOf(deps: Dns64ServerDeps): UdpBackend {
  const env = process.env.SIXGATE_DNS64_UDP;
  if (deps.udp !== undefined && deps.udp !== 'auto') return deps.udp;
  return env === 'native' || env === 'dgram' ? env : 'auto';
}

/** The DNS64 server. Construct, `start()`, `stop()`. */
export class Dns64Server {
  onTrace: ((r: TraceRecord) => void) | undefined;
  #input: Dns64Input;
  #opts: ResolvedDns64Options;
  readonly #counters = createCounters();
  readonly #now: () => number;
  #upstream: Upstream;
  readonly #ownUpstream: boolean;
  readonly #resolver: Dns64Resolver;
  readonly #limiter: RateLimiter;
  readonly #udpBackend: UdpBackend;
  #udp: UdpListener[] = [];
  #tcp: TcpHandler[] = [];
  readonly #clients = new ClientCache((v4, v6, text) => this.#classify(v4, v6, text));
  /** Filled by `probeQuery` for every UDP query on the fast path. */
  readonly #probe = new QueryProbe();
  /** The clock read once per received batch, for the fast path (TTLs count in seconds). */
  #batchNow = 0;
  #running = false;
  readonly #loopLag = new LoopLagMonitor();

  constructor(input: Dns64Input = {}, deps: Dns64ServerDeps = {}) {
    this.#input = input;
    this.#opts = Dns64Server.#resolve(input);
    this.#now = deps.now ?? Date.now;
    this.onTrace = deps.onTrace;
    this.#ownUpstream = deps.upstream === undefined;
    this.#udpBackend = udpBackendOf(deps);
    this.#upstream = deps.upstream ?? this.#makeUpstream();
    // Upstream round trips are well under a millisecond on a LAN: timed with the high-resolution clock unless a test sets one.
    this.#resolver = new Dns64Resolver(this.#opts, this.#upstream, this.#counters, this.#now, deps.now ?? (() => performance.now()));
    this.#limiter = new RateLimiter(this.#opts.rateLimit, this.#now);
  }

  static #resolve(input: Dns64Input): ResolvedDns64Options {
    const o = validateDns64Options(input);
    const upstreams = o.upstreams.length > 0 ? undefined : resolvConfNameservers().filter((u) => !Dns64Server.#isSelf(u, o.listen));
    const clients = o.clients.v4.length + o.clients.v6.length > 0 ? undefined : hostClientNetworks();
    if (upstreams === undefined && clients === undefined) return o;
    return validateDns64Options({ ...input, ...(upstreams ? { upstreams } : {}), ...(clients ? { clients } : {}) });
  }

  /** A resolv.conf nameserver that is this very server would make a forwarding loop. */
  static #isSelf(upstream: string, listen: readonly Endpoint[]): boolean {
    const host = upstream.replace(/^\[|\]:53$/g, '');
    const loop = host.startsWith('127.') || host === '::1';
    return listen.some((l) => l.port === 53 && (l.address === host || ((l.address === '::' || l.address === '0.0.0.0') && loop)));
  }

  #makeUpstream(): Upstream {
    const o = this.#opts;
    return new UpstreamClient(o.upstreams, {
      timeoutMs: o.timeoutMs, attempts: o.attempts, failover: o.failover, maxOutstanding: o.maxOutstanding,
      caseRandomization: o.upstreamCaseRandomization, portPool: { uses: o.upstreamPortUses },
    }, this.#counters, this.#now, this.#udpBackend);
  }

  /** The validated options in effect. */
  get options(): ResolvedDns64Options {
    return this.#opts;
  }

  /** The bound listener addresses (after `start`). */
  addresses(): BoundAddress[] {
    const out: BoundAddress[] = [];
    for (const s of this.#udp) out.push({ transport: 'udp', ...s.address() });
    for (const t of this.#tcp) out.push({ transport: 'tcp', ...t.address() });
    return out;
  }

  /** Binds every listener (UDP first; TCP on the same port, also when the port was 0). */
  async start(): Promise<void> {
    if (this.#running) throw new Dns64Error('ERR_DNS64_STATE', 'the DNS64 server is already running');
    this.#running = true;
    this.#loopLag.start();
    try {
      for (const ep of this.#opts.listen) await this.#listen(ep);
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async #listen(ep: Endpoint): Promise<void> {
    // [::] also takes IPv4 unless 0.0.0.0 on the same port is listed too.
    const ipv6Only = ep.family === 6 && this.#opts.listen.some((l) => l.family === 4 && l.port === ep.port && l.address === '0.0.0.0');
    // Port 0: the kernel picks a free UDP port, which another process may hold for TCP;
    // then both are given up and another port is picked (a few times at most).
    for (let attempt = 1; ; attempt++) {
      const udp = await openUdpListener(this.#udpBackend, ep, ipv6Only, { clients: this.#clients, counters: this.#counters, answer: this.#answerUdp, answerInto: this.#answerUdpInto, batchStart: this.#batchStart });
      const tcp = new TcpHandler(this.#opts.tcp, this.#counters, (raw, remote) => this.#answerTcp(raw, remote));
      try {
        await tcp.listen(ep.address, udp.address().port, ipv6Only);
      } catch (e) {
        udp.close();
        await tcp.close();
        if (ep.port === 0 && (e as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 8) continue;
        throw e;
      }
      this.#udp.push(udp);
      this.#tcp.push(tcp);
      return;
    }
  }

  /** Which UDP implementation each listener uses, and the addon's counters where native. */
  udpListeners(): { kind: 'native' | 'dgram'; address: string; port: number; native: NativeUdpStats | undefined }[] {
    return this.#udp.map((u) => ({ kind: u.kind, ...u.address(), native: u.nativeStats() }));
  }

  /** Stops taking queries and closes every listener and upstream socket. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#loopLag.stop();
    const udp = this.#udp;
    const tcp = this.#tcp;
    this.#udp = [];
    this.#tcp = [];
    for (const s of udp) s.close();
    await Promise.all(tcp.map((t) => t.close()));
    if (this.#ownUpstream) this.#upstream.close?.();
  }

  /** Changes the prefix; synthesized and PTR cache entries of the old prefix are flushed. */
  setPrefix(prefix: Nat64Prefix | string): void {
    const p = typeof prefix === 'string' ? parseNat64Prefix(prefix) : prefix;
    this.#apply({ ...this.#input, prefix: p });
  }

  /**
   * Suspends synthesis while the translator cannot carry traffic (and
   * resumes it): see Dns64Resolver.setSuspended.
   */
  setSynthesisSuspended(on: boolean): void {
    this.#resolver.setSuspended(on);
  }

  get synthesisSuspended(): boolean {
    return this.#resolver.suspended;
  }

  /** Applies a partial change at runtime; listener changes rebind. Throws ERR_DNS64_CONFIG and changes nothing when invalid. */
  async updateOptions(partial: Dns64Input): Promise<void> {
    const before = JSON.stringify(this.#opts.listen);
    this.#apply({
      ...this.#input, ...partial,
      cache: { ...this.#input.cache, ...partial.cache },
      rateLimit: { ...this.#input.rateLimit, ...partial.rateLimit },
      tcp: { ...this.#input.tcp, ...partial.tcp },
    });
    if (this.#running && JSON.stringify(this.#opts.listen) !== before) {
      await this.stop();
      await this.start();
    }
  }

  #apply(input: Dns64Input): void {
    const opts = Dns64Server.#resolve(input);
    const key = (o: ResolvedDns64Options): string => JSON.stringify([o.upstreams, o.timeoutMs, o.attempts, o.failover, o.maxOutstanding, o.upstreamCaseRandomization, o.upstreamPortUses]);
    const upstreamsChanged = key(opts) !== key(this.#opts);
    this.#input = input;
    this.#opts = opts;
    if (upstreamsChanged && this.#ownUpstream) {
      const old = this.#upstream;
      this.#upstream = this.#makeUpstream();
      this.#resolver.setUpstream(this.#upstream);
      setTimeout(() => old.close?.(), opts.timeoutMs * opts.attempts).unref();
    }
    this.#resolver.setOptions(opts);
    this.#limiter.setOptions(opts.rateLimit);
    this.#clients.clear();
    for (const t of this.#tcp) t.setOptions(opts.tcp);
  }

  /** Counters, cache size, upstream health. */
  stats(): Dns64Stats {
    this.#counters.rateLimitSpared = this.#limiter.lonePassed;
    const lag = this.#loopLag.lag;
    return {
      ...snapshot(this.#counters),
      cacheEntries: this.#resolver.cache.size,
      cacheBytes: this.#resolver.cache.bytes,
      upstreamOutstanding: this.#upstream instanceof UpstreamClient ? this.#upstream.outstanding : 0,
      upstreams: this.#upstream.health(),
      loopLagP99: lag.p99,
      loopLagMax: lag.max,
      ...(Number.isFinite(this.#resolver.upstreamRttMs) ? { upstreamRtt: this.#resolver.upstreamRttMs / 1000 } : {}),
      parallelA: this.#resolver.parallelA,
    };
  }

  #classify(v4: number, v6: Uint8Array | undefined, text: string): ClientInfo {
    if (v4 >= 0) {
      const bytes = Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 0xff, (v4 >>> 8) & 0xff, v4 & 0xff);
      return { allowed: this.#opts.clients.v4.some((n) => ipv4InCidr(v4, n)), rateKey: this.#limiter.keyFor(bytes, true), client6: undefined, text };
    }
    const b = v6 ?? new Uint8Array(16);
    return { allowed: this.#opts.clients.v6.some((n) => ipv6InCidr(b, 0, n)), rateKey: this.#limiter.keyFor(b, false), client6: b, text };
  }

  /** One UDP query (a datagram of its own, from node:dgram) to the wire to send (fitted to the client's buffer), now or later. */
  readonly #answerUdp = (raw: Buffer, client: ClientInfo): Buffer | Promise<Buffer | undefined> | undefined => {
    const r = this.#answer(raw, client, 'udp', false);
    if (r === undefined) return undefined;
    if (isAnswer(r)) return this.#running ? this.#fitUdp(raw, r.wire, r.q) : undefined;
    return new Promise((done) => this.#resolveMiss(raw, r, client, 'udp', { hold: () => 0, reply: (_t, wire) => done(wire) }, 0));
  };

  /** One TCP query: the answer now or later (no fitting: TCP carries up to 64 KiB). */
  #answerTcp(frame: Buffer, remote: string): Answer | Promise<Answer | undefined> | undefined {
    const client = this.#clients.fromText(remote);
    const r = this.#answer(frame, client, 'tcp', false);
    if (r === undefined || isAnswer(r)) return r;
    // The frame is a view of the connection's buffer: the query outlives this call, so it gets its own copy.
    const raw = ownCopy(frame, 0, frame.length);
    return new Promise((done) => this.#resolveMiss(raw, r, client, 'tcp', { hold: () => 0, reply: (_t, wire) => done(wire === undefined ? undefined : { wire, q: r }) }, 0));
  }

  /** Called by the native listener before it answers a received batch. */
  readonly #batchStart = (): void => {
    this.#batchNow = this.#now();
    this.#limiter.tick(this.#batchNow);
  };

  /**
   * One UDP query at `rx[off, off+len)`; a cache hit is written straight
   * into `out[outOff…]` (at most `outCap` bytes) and its length returned.
   * The fast path: `probeQuery` reads the header, question and OPT from the
   * wire, the cache compares the question bytes in place, and the stored
   * answer is copied with the ID, RD, question case and TTLs patched — no
   * parse into objects, no key string, no allocation. Whatever it does not
   * cover (refused clients, traces, misses, truncation, per-client policy,
   * anything unusual in the query) takes the full path with the same result.
   * A miss is answered through `late` (datagram `i`'s address kept by the
   * listener): a copy of the query, its parse and one callback per miss.
   */
  readonly #answerUdpInto = (rx: Buffer, off: number, len: number, client: ClientInfo, out: Uint8Array, outOff: number, outCap: number, late: LateReplies, i: number): number | Buffer | undefined => {
    const p = this.#probe;
    let rateChecked = false;
    if (client.allowed && this.onTrace === undefined && this.#running && probeQuery(rx, off, len, p)) {
      const now = this.#batchNow;
      const c = this.#counters;
      const verdict = this.#limiter.check(client.rateKey);
      if (verdict !== RATE_OK) {
        c.queries++;
        this.#countLimited(verdict);
        const rl = this.#opts.rateLimit;
        return headerOnlyInto(rx, off, p, rl.response === 'refuse' ? RCODE.refused : 0, rl.response === 'refuse' ? 0 : FLAG.tc, out, outOff, outCap);
      }
      const e = this.#resolver.cachedFor(rx, off, p, now, outCap);
      if (e >= 0) {
        c.queries++;
        return this.#resolver.hitInto(e, rx, off, out, outOff, now);
      }
      rateChecked = true;
    }
    // The receive arena is reused by the next batch: the query gets its own copy (a miss outlives this call).
    const raw = ownCopy(rx, off, len);
    const r = this.#answer(raw, client, 'udp', rateChecked);
    if (r === undefined) return undefined;
    if (isAnswer(r)) return this.#running ? this.#fitUdp(raw, r.wire, r.q) : undefined;
    this.#resolveMiss(raw, r, client, 'udp', late, late.hold(i));
    return undefined;
  };

  /** RFC 6891 §6.2.5: answers larger than the client's buffer are cut to header + question with TC. */
  #fitUdp(query: Buffer, wire: Buffer, q: ParsedQuery | undefined): Buffer {
    const limit = q?.edns === undefined ? 512 : Math.min(q.edns.udpSize, 1232);
    if (wire.length <= limit) return wire;
    this.#counters.truncated++;
    return headerOnlyResponse(query, q, wire[3]! & 0xf, FLAG.tc);
  }

  /**
   * The answer to one query when it is ready now (errors, limits, cache
   * hits); the parsed query when it missed the cache (the caller resolves it
   * with `#resolveMiss`, on its own copy of `raw`); undefined when the packet
   * is dropped.
   */
  #answer(raw: Buffer, client: ClientInfo, transport: 'udp' | 'tcp', rateChecked: boolean): Answered {
    const c = this.#counters;
    c.queries++;
    if (transport === 'tcp') c.tcpQueries++;
    const address = client.text;
    // Rate limit before anything else is spent on the packet (UDP only: TCP cannot be spoofed, and it is where TC sends a limited client).
    const verdict = transport === 'udp' && !rateChecked ? this.#limiter.allow(client.rateKey) : RATE_OK;
    const q = parseQuery(raw);
    if (verdict !== RATE_OK && !('kind' in q)) {
      // A limited query gets a fast, small answer, never silence: TC=1 (retry over TCP) or REFUSED.
      this.#countLimited(verdict);
      const refuse = this.#opts.rateLimit.response === 'refuse';
      const wire = headerOnlyResponse(raw, q, refuse ? RCODE.refused : 0, refuse ? 0 : FLAG.tc);
      if (this.onTrace) this.#trace(address, transport, q, 'rate-limited', wire, 0);
      return { wire, q };
    }
    if ('kind' in q) {
      if (q.kind === 'drop') {
        c.dropped++;
        return undefined;
      }
      c.formerr++;
      this.onTrace?.({ client: address, transport, qname: '', qtype: 0, decision: `malformed:${q.reason}`, rcode: q.rcode, synthesized: false, durationMs: 0 });
      return { wire: headerOnlyResponse(raw, undefined, q.rcode), q: undefined };
    }
    if (!client.allowed) {
      c.refused++;
      if (this.onTrace) this.#trace(address, transport, q, 'refused', undefined, 0);
      return { wire: headerOnlyResponse(raw, q, RCODE.refused), q };
    }
    // RFC 6891 §6.1.3: we speak EDNS version 0 only.
    if (q.edns !== undefined && q.edns.version > 0) {
      c.formerr++;
      return { wire: headerOnlyResponse(raw, q, RCODE.badVers), q };
    }
    const started = this.onTrace ? performance.now() : 0;
    const hit = this.#resolver.fromCache(raw, q, client.client6);
    if (hit !== undefined) {
      if (this.onTrace) this.#trace(address, transport, q, 'cache', hit, started);
      return { wire: hit, q };
    }
    return q;
  }

  /**
   * Resolves a query that missed the cache (`raw` is the caller's own copy)
   * and hands the answer (UDP: fitted to the client's buffer; undefined when
   * there is nothing to send) to `late.reply(token, …)`, once. One callback
   * per miss; nothing thrown here reaches the upstream client that called back.
   */
  #resolveMiss(raw: Buffer, q: ParsedQuery, client: ClientInfo, transport: 'udp' | 'tcp', late: LateReplies, token: number): void {
    const started = this.onTrace ? performance.now() : 0;
    this.#resolver.resolveWith(raw, q, client.client6, (res) => {
      let wire: Buffer | undefined;
      try {
        if (this.onTrace) this.#trace(client.text, transport, q, res.decision, res.wire, started, res.synthesized);
        wire = transport === 'tcp' ? res.wire : this.#running ? this.#fitUdp(raw, res.wire, q) : undefined;
      } catch {
        this.#counters.dropped++;
      }
      try {
        late.reply(token, wire);
      } catch {
        this.#counters.dropped++; // the socket closed under us (stop, rebind)
      }
    });
  }

  #countLimited(verdict: number): void {
    this.#counters.rateLimited++;
    if (verdict === RATE_PREFIX) this.#counters.rateLimitedPrefix++;
  }

  #trace(client: string, transport: 'udp' | 'tcp', q: ParsedQuery, decision: string, wire: Buffer | undefined, started: number, synthesized = false): void {
    try {
      const rcode = wire === undefined ? RCODE.refused : wire[3]! & 0xf;
      this.onTrace!({ client, transport, qname: q.qname, qtype: q.qtype, decision, rcode, synthesized, durationMs: started === 0 ? 0 : performance.now() - started });
    } catch {
      // A broken trace consumer must not break DNS.
    }
  }
}
