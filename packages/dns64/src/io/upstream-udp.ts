/**
 * UDP exchanges with upstream resolvers from random source ports (RFC 5452
 * §4.5), two interchangeable backends:
 *
 * - `native`: the addon (native/udp.c). A small pool of sockets per address
 *   family, each bound to a kernel-chosen random port and retired after a
 *   bounded number of queries; a query goes out on a random pool socket, the
 *   queries of one callback together in one sendmmsg per socket, answers come back through one uv_poll_t per socket and
 *   recvmmsg into one shared arena, and are routed to the query by ID. No
 *   Node handle, address lookup or send request per query, and a socket
 *   (socket, bind, poll set-up, close) only every `uses` queries.
 * - `dgram`: node:dgram, a fresh socket per query; used when the addon
 *   cannot load or when asked for.
 *
 * Both hand every datagram for a query to its receiver's `onDatagram` with
 * whether it came from the address and port asked; the caller checks ID and
 * question (RFC 5452 §9.1) and ends the query with `end()` on what `send`
 * returned. A query costs the native backend one small object: the receiver
 * is the caller's own per-query object, and no closure is made.
 */
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { parseIpv6 } from '@sixgate/addressing';
import type { Endpoint } from '../config.js';
import { IntMap } from '../int-map.js';
import { ownCopy } from '../wire.js';
import { atBatchEnd, enterBatch, leaveBatch } from './turn.js';
import { ADDR_SLOT, AF_INET, AF_INET6, loadNativeUdp, nativeUdpLoadError, type NativeUdp, type NativeUdpHandle } from './native-udp.js';
import type { UdpBackend } from './udp.js';

/** What a query's datagrams go to. */
export interface DatagramReceiver {
  /** One datagram: `fromPeer` is false when it came from another address or port. */
  onDatagram(msg: Buffer, fromPeer: boolean): void;
  /** The query's socket failed. */
  onError(e: Error): void;
}

/** A query sent: `end()` once, when its answer is in or it is given up. */
export interface SentQuery {
  end(): void;
}

/** Sends UDP queries to upstreams from random ports. */
export interface UpstreamUdp {
  readonly kind: 'native' | 'dgram';
  /**
   * Sends `query` to `ep`; what comes back goes to `rx`. End the query
   * (which closes its socket when nobody else uses it) with `end()` on the
   * result, once. Never calls back synchronously. The native backend routes
   * answers by the query's ID, so no two outstanding queries on one socket
   * share an ID.
   */
  send(ep: Endpoint, query: Buffer, rx: DatagramReceiver): SentQuery;
  /** Closes every socket; outstanding queries are expected to be closed by their owner. */
  close(): void;
}

/**
 * The addon's upstream sockets: `sockets` per address family, each bound to
 * a random port (port 0, the kernel picks) and used for at most `uses`
 * queries, chosen at random per query. `uses: 1` is a fresh port per query.
 */
export interface UpstreamPortPool {
  readonly sockets?: number;
  readonly uses?: number;
}

/** Defaults: a port carries at most 32 queries, so one learned port (e.g. by asking for a name whose authority the attacker runs) is good for a few more queries at most. */
export const UPSTREAM_PORT_POOL: Required<UpstreamPortPool> = { sockets: 16, uses: 32 };

/** A whole number >= 1 from the environment; undefined when unset or invalid (then the default applies). */
function envCount(name: string): number | undefined {
  const v = Number(process.env[name]);
  return process.env[name] !== undefined && Number.isInteger(v) && v >= 1 && v <= 65_535 ? v : undefined;
}

/** The backend for upstream queries: the addon unless `dgram` is asked for or it does not load. */
export function openUpstreamUdp(backend: UdpBackend = 'auto', pool: UpstreamPortPool = {}, onStray: () => void = () => undefined): UpstreamUdp {
  if (backend !== 'dgram') {
    const native = loadNativeUdp();
    const p = {
      // The environment variables are tuning knobs for experiments: they win over the options.
      sockets: envCount('SIXGATE_DNS64_UPSTREAM_SOCKETS') ?? pool.sockets ?? UPSTREAM_PORT_POOL.sockets,
      uses: envCount('SIXGATE_DNS64_UPSTREAM_PORT_USES') ?? pool.uses ?? UPSTREAM_PORT_POOL.uses,
    };
    if (!(Number.isInteger(p.sockets) && p.sockets >= 1 && Number.isInteger(p.uses) && p.uses >= 1)) {
      throw new Error(`upstream port pool needs whole numbers >= 1, got sockets=${p.sockets} uses=${p.uses}`);
    }
    if (native !== undefined) return new NativeUpstreamUdp(native, p, onStray);
    if (backend === 'native') throw new Error(`the UDP addon is not available: ${nativeUdpLoadError()?.message}`);
  }
  return new DgramUpstreamUdp();
}

/** Largest UDP payload: an upstream may ignore our EDNS size, and node:dgram accepted it too. */
const RX_SLOT = 65_536;
/** Datagrams read per recvmmsg; more than one only when someone else is sending to the port. */
const RX_BATCH = 4;
/** recvmmsg calls per socket per loop turn: the poll is level-triggered, so a flood on one port (answers or strays) cannot hold the turn. */
const RX_ROUNDS = 16;
const ANY4 = new Uint8Array(4);
const ANY6 = new Uint8Array(16);

/** The raw sockaddr (ADDR_SLOT bytes, the layout native/udp.c documents) of an upstream. */
export function peerSockaddr(ep: Endpoint): Uint8Array {
  const out = new Uint8Array(ADDR_SLOT);
  // The family is host byte order (a sa_family_t as the kernel writes it); the port is network order.
  new Uint16Array(out.buffer, 0, 1)[0] = ep.family === 6 ? AF_INET6 : AF_INET;
  out[2] = ep.port >> 8;
  out[3] = ep.port & 0xff;
  if (ep.family === 6) out.set(parseIpv6(ep.address), 8);
  else out.set(ep.address.split('.').map(Number), 4);
  return out;
}

/** Whether slot `i` of `addrs` holds the family, port and address of `peer` (sin6_flowinfo aside). */
function samePeer(addrs: Uint8Array, i: number, peer: Uint8Array, v6: boolean): boolean {
  const o = i * ADDR_SLOT;
  for (let k = 0; k < 4; k++) if (addrs[o + k] !== peer[k]) return false;
  const from = v6 ? 8 : 4;
  const to = v6 ? 24 : 8;
  for (let k = from; k < to; k++) if (addrs[o + k] !== peer[k]) return false;
  return true;
}

/** A query waiting on a pool socket, by its key (socket number and ID). */
class Waiter implements SentQuery {
  /** The query bytes until the batch they are in has been sent. */
  query: Buffer | undefined;

  constructor(
    private readonly owner: NativeUpstreamUdp,
    readonly s: PoolSocket,
    readonly key: number,
    readonly peer: Uint8Array,
    readonly v6: boolean,
    readonly rx: DatagramReceiver,
    query: Buffer,
  ) {
    this.query = query;
  }

  end(): void {
    this.owner.endQuery(this);
  }
}

/** One pooled socket on a random port: takes `uses` queries, then retires and closes when its last answer is in. */
interface PoolSocket {
  readonly h: NativeUdpHandle;
  /** A small number while open, reused after close: the high part of its waiters' keys. */
  readonly num: number;
  /** Queries outstanding on it. */
  live: number;
  /** Queries to go out with the next flush (one sendmmsg per socket): the first `nPending` (kept, not emptied, so the array is not reallocated). */
  readonly pending: (Waiter | undefined)[];
  nPending: number;
  uses: number;
  retired: boolean;
  open: boolean;
}

/** A waiter's key: the socket's number and the query ID (a small integer, so the map never boxes it). */
function waiterKey(s: PoolSocket, id: number): number {
  return s.num * 65_536 + id;
}

/** Queries per sendmmsg and the arena slot size (a query is at most 12 + 255 + 4 + 11 bytes). */
const TX_BATCH = 64;
const TX_SLOT = 512;

class NativeUpstreamUdp implements UpstreamUdp {
  readonly kind = 'native';
  readonly #native: NativeUdp;
  readonly #pool: Required<UpstreamPortPool>;
  readonly #onStray: () => void;
  readonly #rx = Buffer.alloc(RX_BATCH * RX_SLOT);
  readonly #sizes = new Int32Array(RX_BATCH);
  readonly #addrs = new Uint8Array(RX_BATCH * ADDR_SLOT);
  readonly #peers = new WeakMap<Endpoint, Uint8Array>();
  readonly #slots4: (PoolSocket | undefined)[];
  readonly #slots6: (PoolSocket | undefined)[];
  /** Every open socket, pooled or retired with answers still due. */
  readonly #open = new Set<PoolSocket>();
  /** Outstanding queries of every socket, by waiterKey: one table of steady size, not one per socket. */
  readonly #waiting = new IntMap<Waiter>(256);
  /** Socket numbers free for reuse, and the next new one. */
  readonly #freeNums: number[] = [];
  #nextNum = 0;
  /** Sockets with queries waiting for the flush: the first `#nDirty`. */
  readonly #dirty: (PoolSocket | undefined)[] = [];
  #nDirty = 0;
  #flushQueued = false;
  readonly #tx = Buffer.alloc(TX_BATCH * TX_SLOT);
  readonly #txLengths = new Int32Array(TX_BATCH);
  readonly #txAddrs = new Uint8Array(TX_BATCH * ADDR_SLOT);

  constructor(native: NativeUdp, pool: Required<UpstreamPortPool>, onStray: () => void) {
    this.#native = native;
    this.#pool = pool;
    this.#onStray = onStray;
    this.#slots4 = new Array<PoolSocket | undefined>(pool.sockets).fill(undefined);
    this.#slots6 = new Array<PoolSocket | undefined>(pool.sockets).fill(undefined);
  }

  send(ep: Endpoint, query: Buffer, rx: DatagramReceiver): SentQuery {
    const v6 = ep.family === 6;
    let id = (query[0]! << 8) | query[1]!;
    let found = this.#socketFor(v6, id);
    // The ID is outstanding on every pooled socket (a small pool, many queries): draw another
    // random one (RFC 5452 §9.2) and write it into the query, which the caller matches answers against.
    for (let t = 0; found === undefined && t < 16; t++) {
      id = randomInt(0, 65536);
      query[0] = id >>> 8;
      query[1] = id & 0xff;
      found = this.#socketFor(v6, id);
    }
    if (found === undefined) {
      queueMicrotask(() => rx.onError(new Error(`no pooled socket is free for a new query ID (${this.#pool.sockets} sockets)`)));
      return NOT_SENT;
    }
    const s = found;
    const w = new Waiter(this, s, waiterKey(s, id), this.#peer(ep), v6, rx, query);
    this.#waiting.set(w.key, w);
    s.live++;
    // Batched: every query of this callback goes out in one sendmmsg per socket, when the
    // callback's batch scope closes (or in a microtask), i.e. before the loop polls again.
    if (query.length > TX_SLOT) {
      w.query = undefined;
      if (this.#native.sendTo(s.h, query, query.length, w.peer, 0) !== 1) queueMicrotask(() => this.#waiting.get(w.key) === w && rx.onError(new Error('sendto failed (counted by the addon)')));
    } else {
      if (s.nPending === 0) this.#dirty[this.#nDirty++] = s;
      s.pending[s.nPending++] = w;
      if (!this.#flushQueued) {
        this.#flushQueued = true;
        atBatchEnd(this.#flush);
      }
    }
    return w;
  }

  /** Ends a query (Waiter.end): no longer routed to; a retired socket closes with its last query. */
  endQuery(w: Waiter): void {
    if (this.#waiting.get(w.key) !== w) return;
    this.#waiting.delete(w.key);
    const s = w.s;
    s.live--;
    if (s.live > 0) return;
    if (s.open) {
      if (s.retired) this.#closeSocket(s);
    } else {
      this.#freeNums.push(s.num); // closed with queries outstanding: free now that the last one ended
    }
  }

  /**
   * Sends every pending query, one sendmmsg per socket per 64. A query whose
   * waiter ended meanwhile (timeout, close) is skipped. Datagrams the kernel
   * refuses are counted by the addon (txDropsAgain, txErrors); their queries
   * time out and are retried like a lost datagram.
   */
  readonly #flush = (): void => {
    this.#flushQueued = false;
    const arena = this.#tx;
    for (let d = 0; d < this.#nDirty; d++) {
      const s = this.#dirty[d]!;
      this.#dirty[d] = undefined;
      const list = s.pending;
      const count = s.nPending;
      s.nPending = 0;
      let i = 0;
      while (i < count) {
        let n = 0;
        for (; i < count && n < TX_BATCH; i++) {
          const w = list[i]!;
          list[i] = undefined;
          const q = w.query;
          w.query = undefined;
          if (q === undefined || !s.open || this.#waiting.get(w.key) !== w) continue;
          arena.set(q, n * TX_SLOT);
          this.#txLengths[n] = q.length;
          this.#txAddrs.set(w.peer, n * ADDR_SLOT);
          n++;
        }
        if (n > 0) this.#native.sendBatch(s.h, arena, TX_SLOT, this.#txLengths, this.#txAddrs, n);
      }
    }
    this.#nDirty = 0;
  };

  close(): void {
    for (const s of [...this.#open]) this.#closeSocket(s);
    this.#slots4.fill(undefined);
    this.#slots6.fill(undefined);
  }

  #peer(ep: Endpoint): Uint8Array {
    // Keyed by the endpoint object (the client keeps one per upstream): no key string per query.
    let peer = this.#peers.get(ep);
    if (peer === undefined) this.#peers.set(ep, (peer = peerSockaddr(ep)));
    return peer;
  }

  /** A random pool slot whose socket has no query with this ID outstanding (opened or replaced as needed); undefined when every one has. */
  #socketFor(v6: boolean, id: number): PoolSocket | undefined {
    const slots = v6 ? this.#slots6 : this.#slots4;
    const start = Math.floor(Math.random() * slots.length);
    for (let t = 0; t < slots.length; t++) {
      const i = (start + t) % slots.length;
      let s = slots[i];
      if (s === undefined) slots[i] = s = this.#openSocket(v6);
      if (this.#waiting.has(waiterKey(s, id))) continue;
      // RFC 5452 §9.2: a port is used for a bounded number of queries, then a new random one is bound.
      if (++s.uses >= this.#pool.uses) {
        s.retired = true;
        slots[i] = undefined;
      }
      return s;
    }
    return undefined;
  }

  #openSocket(v6: boolean): PoolSocket {
    const n = this.#native;
    // A waiter key holds the socket number in its high 16 bits: at most 65 536 sockets open at once
    // (each retired one still has a query outstanding; maxOutstanding bounds them long before).
    if (this.#freeNums.length === 0 && this.#nextNum >= 65_536) throw new Error('65536 upstream sockets are open');
    const h = n.open(v6 ? 6 : 4, v6 ? ANY6 : ANY4, 0, false, 0);
    const num = this.#freeNums.pop() ?? this.#nextNum++;
    const s: PoolSocket = { h, num, live: 0, pending: [], nPending: 0, uses: 0, retired: false, open: true };
    this.#open.add(s);
    n.poll(h, () => this.#readable(s));
    return s;
  }

  #closeSocket(s: PoolSocket): void {
    if (!s.open) return;
    s.open = false;
    s.retired = true;
    this.#open.delete(s);
    for (const slots of [this.#slots4, this.#slots6]) {
      const i = slots.indexOf(s);
      if (i >= 0) slots[i] = undefined;
    }
    this.#native.close(s.h);
    // Its number is reused only when no waiter of it is left in the map.
    if (s.live === 0) this.#freeNums.push(s.num);
  }

  /** Hands each datagram to the query with its ID; anything else is a stray (counted by the caller). */
  #readable(s: PoolSocket): void {
    enterBatch();
    try {
      for (let round = 0; round < RX_ROUNDS && s.open; round++) {
        const got = this.#native.recvBatch(s.h, this.#rx, RX_SLOT, this.#sizes, this.#addrs, RX_BATCH);
        if (got < RX_BATCH) round = RX_ROUNDS; // drained: this batch is the last
        if (got === 0) return;
        for (let i = 0; i < got && s.open; i++) {
          const size = this.#sizes[i]!;
          const o = i * RX_SLOT;
          if (size < 0) continue; // longer than 64 KiB: counted by the addon
          const w = size >= 2 ? this.#waiting.get(waiterKey(s, (this.#rx[o]! << 8) | this.#rx[o + 1]!)) : undefined;
          if (w === undefined) this.#onStray();
          else w.rx.onDatagram(ownCopy(this.#rx, o, size), samePeer(this.#addrs, i, w.peer, w.v6));
        }
      }
    } catch (e) {
      const waiters: Waiter[] = [];
      this.#waiting.forEach((w) => {
        if (w.s === s) waiters.push(w);
      });
      this.#closeSocket(s);
      for (const w of waiters) w.rx.onError(e as Error);
    } finally {
      leaveBatch();
    }
  }
}

/** What `send` returns when nothing was sent (the error comes through the receiver). */
const NOT_SENT: SentQuery = { end: () => undefined };

class DgramUpstreamUdp implements UpstreamUdp {
  readonly kind = 'dgram';

  send(ep: Endpoint, query: Buffer, rx: DatagramReceiver): SentQuery {
    const sock = dgram.createSocket(ep.family === 6 ? 'udp6' : 'udp4');
    sock.on('message', (msg, rinfo) => rx.onDatagram(msg, rinfo.address === ep.address && rinfo.port === ep.port));
    sock.on('error', (e) => rx.onError(e));
    sock.send(query, ep.port, ep.address);
    return { end: () => sock.close() };
  }

  close(): void {
    // Each query's socket is closed by its own close function.
  }
}
