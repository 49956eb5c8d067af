/**
 * pool4: the IPv4 transport addresses bindings are made from (RFC 6146 §3.5.1.1).
 *
 * Addresses come from a list of non-overlapping CIDRs and are numbered 0..n-1.
 * Each (protocol class, address) has a bitmap over its port range, allocated
 * on first use, so a large pool costs nothing until it is used. Port choice is
 * RFC 6056 §3.3.3 (algorithm 3): the caller passes the keyed-hash offset, the
 * pool adds a per-protocol counter and takes the next free port from there.
 */
import { formatIpv4Cidr, ipv4CidrsOverlap, ipv4CidrSize, ipv4InCidr, type Ipv4Cidr } from '@sixgate/addressing';
import type { Pool4Range } from './api.js';
import { StateError } from './errors.js';

/** Protocol classes: 0 TCP, 1 UDP, 2 ICMP. */
export const CLASS_TCP = 0;
export const CLASS_UDP = 1;
export const CLASS_ICMP = 2;
const CLASS_KEYS = ['tcp', 'udp', 'icmp'] as const;
const DEFAULT_PORTS: readonly [number, number] = [1024, 65535];
/** At most this many pool4 addresses (a /16); bigger pools are almost certainly a typo. */
export const MAX_POOL4_ADDRESSES = 65536;

interface Block {
  readonly cidr: Ipv4Cidr;
  readonly base: number;
  readonly size: number;
  /** [lo, hi] per class. */
  readonly lo: readonly number[];
  readonly hi: readonly number[];
}

function checkRange(r: readonly [number, number] | undefined, what: string): readonly [number, number] {
  if (r === undefined) return DEFAULT_PORTS;
  const [lo, hi] = r;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi > 65535 || lo > hi) {
    throw new StateError('ERR_STATE_OPTIONS', `pool4 ${what} port range [${String(lo)}, ${String(hi)}] must be integers with 0 <= lo <= hi <= 65535`);
  }
  return r;
}

/** Pool4 use per protocol (ports or ICMP identifiers). */
export interface Pool4Usage {
  readonly addressCount: number;
  readonly tcp: { used: number; size: number };
  readonly udp: { used: number; size: number };
  readonly icmp: { used: number; size: number };
  /** Addresses as uint32. */
  readonly addresses: { address: number; tcp: { used: number; size: number }; udp: { used: number; size: number }; icmp: { used: number; size: number } }[];
  /** More addresses have ports in use than were listed. */
  readonly truncated: boolean;
}

export class Pool4 {
  /** Number of addresses. */
  readonly count: number;
  /** Ports (or ICMP ids) available in total over all addresses and classes. */
  readonly size: number;
  /** Ports in use inside the dynamic ranges. */
  used = 0;
  private readonly blocks: readonly Block[];
  /** Per address: the address (uint32), its lo/hi per class. */
  private readonly addrs: Uint32Array;
  private readonly lo: Uint16Array;
  private readonly span: Uint32Array;
  private readonly usedBy: Uint32Array;
  private readonly maps: (Uint32Array | undefined)[];
  private readonly counter = new Uint32Array(3);
  /** Addresses with at least one free port, per class, to fail fast when full. */
  private readonly usedPerClass = new Float64Array(3);
  private readonly sizePerClass = new Float64Array(3);

  constructor(ranges: readonly Pool4Range[]) {
    if (!Array.isArray(ranges) || ranges.length === 0) throw new StateError('ERR_STATE_OPTIONS', 'pool4 needs at least one IPv4 prefix');
    const blocks: Block[] = [];
    let base = 0;
    for (const r of ranges) {
      const c = r.cidr;
      if (c === null || typeof c !== 'object' || !Number.isInteger(c.address) || !Number.isInteger(c.length) || c.length < 0 || c.length > 32) {
        throw new StateError('ERR_STATE_OPTIONS', 'pool4 entry has no valid cidr (use parseIpv4Cidr)');
      }
      for (const b of blocks) {
        if (ipv4CidrsOverlap(b.cidr, c)) throw new StateError('ERR_STATE_OPTIONS', `pool4 prefixes ${formatIpv4Cidr(b.cidr)} and ${formatIpv4Cidr(c)} overlap`);
      }
      const size = ipv4CidrSize(c);
      const ports = CLASS_KEYS.map((k) => checkRange(r.ports?.[k], k));
      blocks.push({ cidr: c, base, size, lo: ports.map((p) => p[0]), hi: ports.map((p) => p[1]) });
      base += size;
      if (base > MAX_POOL4_ADDRESSES) throw new StateError('ERR_STATE_OPTIONS', `pool4 has more than ${MAX_POOL4_ADDRESSES} addresses`);
    }
    this.blocks = blocks;
    this.count = base;
    this.addrs = new Uint32Array(base);
    this.lo = new Uint16Array(base * 3);
    this.span = new Uint32Array(base * 3);
    this.usedBy = new Uint32Array(base * 3);
    this.maps = new Array<Uint32Array | undefined>(base * 3).fill(undefined);
    let total = 0;
    for (const b of blocks) {
      for (let i = 0; i < b.size; i++) {
        const a = b.base + i;
        this.addrs[a] = (b.cidr.address + i) >>> 0;
        for (let k = 0; k < 3; k++) {
          this.lo[k * base + a] = b.lo[k]!;
          const n = b.hi[k]! - b.lo[k]! + 1;
          this.span[k * base + a] = n;
          this.sizePerClass[k]! += n;
          total += n;
        }
      }
    }
    this.size = total;
  }

  /**
   * Ports in use and available per protocol, in total and per address (for
   * the admin API; not on the packet path). With more than `limit` addresses
   * only those with ports in use are listed, at most `limit` of them.
   */
  usage(limit: number): Pool4Usage {
    const n = this.count;
    const cls = (k: number): { used: number; size: number } => ({ used: this.usedPerClass[k]!, size: this.sizePerClass[k]! });
    const addresses: Pool4Usage['addresses'] = [];
    let wanted = 0;
    for (let a = 0; a < n; a++) {
      const inUse = this.usedBy[a]! + this.usedBy[n + a]! + this.usedBy[2 * n + a]! > 0;
      if (n > limit && !inUse) continue;
      if (wanted++ >= limit) continue;
      const per = (k: number): { used: number; size: number } => ({ used: this.usedBy[k * n + a]!, size: this.span[k * n + a]! });
      addresses.push({ address: this.addrs[a]!, tcp: per(0), udp: per(1), icmp: per(2) });
    }
    return { addressCount: n, tcp: cls(0), udp: cls(1), icmp: cls(2), addresses, truncated: wanted > limit };
  }

  /** The pool4 index of `addr`, or -1. O(number of prefixes). */
  indexOf(addr: number): number {
    // Indexed loop: `for...of` costs an iterator when this is not inlined.
    const blocks = this.blocks;
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i]!;
      if (ipv4InCidr(addr, b.cidr)) return b.base + ((addr - b.cidr.address) >>> 0);
    }
    return -1;
  }

  /** The uint32 address of pool4 index `a`. */
  address(a: number): number {
    return this.addrs[a]!;
  }

  /** Whether `port` of class `cls` at index `a` is inside the dynamic range. */
  inRange(cls: number, a: number, port: number): boolean {
    const i = cls * this.count + a;
    const off = port - this.lo[i]!;
    return off >= 0 && off < this.span[i]!;
  }

  /** Whether class `cls` has any free port at index `a`. */
  hasFree(cls: number, a: number): boolean {
    const i = cls * this.count + a;
    return this.usedBy[i]! < this.span[i]!;
  }

  /** Whether a port is in range and free. */
  isFree(cls: number, a: number, port: number): boolean {
    if (!this.inRange(cls, a, port)) return false;
    const i = cls * this.count + a;
    const m = this.maps[i];
    if (m === undefined) return true;
    const off = port - this.lo[i]!;
    return (m[off >>> 5]! & (1 << (off & 31))) === 0;
  }

  /** Marks a port used (no-op outside the dynamic range, e.g. static entries). */
  take(cls: number, a: number, port: number): void {
    if (!this.inRange(cls, a, port)) return;
    const i = cls * this.count + a;
    const m = this.map(i);
    const off = port - this.lo[i]!;
    const bit = 1 << (off & 31);
    if ((m[off >>> 5]! & bit) !== 0) return;
    m[off >>> 5] = m[off >>> 5]! | bit;
    this.usedBy[i]!++;
    this.usedPerClass[cls]!++;
    this.used++;
  }

  /** Marks a port free again. */
  release(cls: number, a: number, port: number): void {
    if (!this.inRange(cls, a, port)) return;
    const i = cls * this.count + a;
    const m = this.maps[i];
    if (m === undefined) return;
    const off = port - this.lo[i]!;
    const bit = 1 << (off & 31);
    if ((m[off >>> 5]! & bit) === 0) return;
    m[off >>> 5] = m[off >>> 5]! & ~bit;
    this.usedBy[i]!--;
    this.usedPerClass[cls]!--;
    this.used--;
  }

  /**
   * Picks an address index for a new binding: `preferred` (the client's
   * address, RFC 6146 §3.5.1.1 "paired" pooling) while it has ports, else the
   * first address with free ports from `start`. -1 when the class is full.
   */
  pickAddress(cls: number, preferred: number, start: number): number {
    if (this.usedPerClass[cls]! >= this.sizePerClass[cls]!) return -1;
    if (preferred >= 0 && this.hasFree(cls, preferred)) return preferred;
    const n = this.count;
    let a = (start >>> 0) % n;
    for (let k = 0; k < n; k++) {
      if (this.hasFree(cls, a)) return a;
      a = a + 1 === n ? 0 : a + 1;
    }
    return -1;
  }

  /**
   * RFC 6056 algorithm 3: port = lo + (offset + counter++) mod span, then the
   * next free port after it (wrapping). The caller checked `hasFree`.
   */
  pickPort(cls: number, a: number, offset: number): number {
    const i = cls * this.count + a;
    const span = this.span[i]!;
    const start = ((offset >>> 0) + this.counter[cls]!) % span;
    this.counter[cls] = (this.counter[cls]! + 1) >>> 0;
    const m = this.map(i);
    const words = (span + 31) >>> 5;
    let w = start >>> 5;
    let free = ~m[w]! & (-1 << (start & 31));
    for (let k = 0; k <= words; k++) {
      if (free !== 0) return this.lo[i]! + w * 32 + (31 - Math.clz32(free & -free));
      w = w + 1 === words ? 0 : w + 1;
      free = ~m[w]!;
    }
    return -1;
  }

  /** Bytes held by the allocated bitmaps and index arrays. */
  get bytes(): number {
    let n = this.addrs.byteLength + this.lo.byteLength + this.span.byteLength + this.usedBy.byteLength;
    for (const m of this.maps) if (m !== undefined) n += m.byteLength;
    return n;
  }

  private map(i: number): Uint32Array {
    let m = this.maps[i];
    if (m === undefined) {
      const span = this.span[i]!;
      m = new Uint32Array((span + 31) >>> 5);
      // Bits past the range in the last word count as used so scans skip them.
      if ((span & 31) !== 0) m[m.length - 1] = -1 << (span & 31);
      this.maps[i] = m;
    }
    return m;
  }
}
