/**
 * Address-dependent filtering in O(1) (RFC 6146 §3.5.2.1, RFC 4787 REQ-8):
 * for each (binding, remote IPv4 address) the number of sessions the binding
 * has with that address, in a hash index. Walking a binding's sessions
 * instead would cost O(its sessions) per refused IPv4 packet, and a remote
 * picks how many packets it sends. Kept only while filtering is on.
 */
import { finish, mix, randomU32 } from './hash.js';
import { IndexTable } from './index-table.js';

export class AddrRefs {
  private cap = 0;
  private top = 0;
  private freeHead = -1;
  private bind: Int32Array = new Int32Array(0);
  private r4: Int32Array = new Int32Array(0);
  /** Sessions with this address; also the free-list link of a free row. */
  private cnt: Int32Array = new Int32Array(0);
  private readonly idx = new IndexTable(64);
  // int32: a uint32 seed above 2^31 is a heap number, and reading it for a call allocates a copy per packet.
  private readonly seed = randomU32() | 0;

  /** Rows in use. */
  get size(): number {
    return this.idx.count;
  }

  get bytes(): number {
    return this.cap * 12 + this.idx.bytes;
  }

  private hash(b: number, r4: number): number {
    return finish(mix(mix(this.seed, b), r4));
  }

  private find(h: number, b: number, r4: number): number {
    const t = this.idx;
    for (let sl: Int32Array | null = t.slots, mask = t.mask, pass = 0; sl !== null && pass < 2; sl = t.old, mask = t.oldMask, pass++) {
      for (let i = h & mask; ; i = (i + 1) & mask) {
        const e = sl[2 * i]! - 1;
        if (e < 0) {
          if (e === -1) break;
          continue;
        }
        if (sl[2 * i + 1] === h && this.bind[e] === b && this.r4[e] === r4) return e;
      }
    }
    return -1;
  }

  /** Whether binding `b` has a session with remote `r4` (int32). */
  has(b: number, r4: number): boolean {
    return this.find(this.hash(b, r4), b, r4) >= 0;
  }

  /** Counts one more session of `b` with `r4`. */
  add(b: number, r4: number): void {
    const h = this.hash(b, r4);
    const e = this.find(h, b, r4);
    if (e >= 0) {
      this.cnt[e]!++;
      return;
    }
    let r = this.freeHead;
    if (r >= 0) this.freeHead = this.cnt[r]!;
    else {
      if (this.top === this.cap) this.grow();
      r = this.top++;
    }
    this.bind[r] = b;
    this.r4[r] = r4;
    this.cnt[r] = 1;
    this.idx.insert(h, r);
  }

  /** Counts one session of `b` with `r4` less. */
  remove(b: number, r4: number): void {
    const h = this.hash(b, r4);
    const e = this.find(h, b, r4);
    if (e < 0 || --this.cnt[e]! > 0) return;
    this.idx.remove(h, e);
    this.bind[e] = -1;
    this.cnt[e] = this.freeHead;
    this.freeHead = e;
  }

  /** The count for (b, r4), 0 when absent (verify). */
  count(b: number, r4: number): number {
    const e = this.find(this.hash(b, r4), b, r4);
    return e < 0 ? 0 : this.cnt[e]!;
  }

  private grow(): void {
    const n = Math.max(64, this.cap * 2);
    const g = (a: Int32Array): Int32Array => {
      const x = new Int32Array(n);
      x.set(a);
      return x;
    };
    this.bind = g(this.bind);
    this.r4 = g(this.r4);
    this.cnt = g(this.cnt);
    this.cap = n;
  }
}
