/**
 * A small fixed-size table that remembers, per fragmented datagram, what the
 * first fragment was translated with, so later fragments (which carry no
 * ports) follow the same session (RFC 6146 §3.4 "fragments", RFC 7915 §1.4).
 *
 * Keys are byte strings (addresses, identification, protocol) written into
 * `key` by the caller; values are byte strings. Bounded in memory (capacity
 * fixed at construction, open addressing with short linear probes; a full
 * probe run evicts its oldest entry) and in time (entries expire after a
 * lifetime). Allocation-free after construction.
 */

/** Slots probed before evicting. */
const PROBE = 8;

export class FragmentTable {
  /** Scratch key the caller fills before `find`/`insert`. */
  readonly key: Uint8Array;
  /** Values: slot i at `values[i * valLen]`. */
  readonly values: Uint8Array;
  private readonly keys: Uint8Array;
  private readonly expires: Float64Array;
  private readonly mask: number;
  private live = 0;

  constructor(
    capacity: number,
    private readonly keyLen: number,
    readonly valLen: number,
    /** The time of the packet being translated (ms), written once per packet by the translator: a double passed as an argument to a call that is not inlined would be allocated. */
    private readonly time: Float64Array,
  ) {
    let cap = 16;
    while (cap < capacity) cap <<= 1;
    this.mask = cap - 1;
    this.key = new Uint8Array(keyLen);
    this.keys = new Uint8Array(cap * keyLen);
    this.values = new Uint8Array(cap * valLen);
    this.expires = new Float64Array(cap);
  }

  /** Live entries (approximate: expired ones count until reused). */
  get size(): number {
    return this.live;
  }

  private hash(): number {
    let h = 0x811c9dc5;
    const k = this.key;
    for (let i = 0; i < this.keyLen; i++) h = Math.imul(h ^ k[i]!, 0x01000193);
    return (h ^ (h >>> 15)) & this.mask;
  }

  private same(slot: number): boolean {
    const base = slot * this.keyLen;
    const k = this.key;
    for (let i = 0; i < this.keyLen; i++) if (this.keys[base + i] !== k[i]) return false;
    return true;
  }

  /** Slot of the live entry for `key`, or -1. */
  find(): number {
    const now = this.time[0]!;
    let s = this.hash();
    for (let i = 0; i < PROBE; i++, s = (s + 1) & this.mask) {
      if (this.expires[s]! > now && this.same(s)) return s;
    }
    return -1;
  }

  /** Inserts (or refreshes) `key`, live for `ttl` ms; returns its slot for the caller to fill `values`. */
  insert(ttl: number): number {
    const now = this.time[0]!;
    let s = this.hash();
    let victim = s;
    let oldest = Infinity;
    for (let i = 0; i < PROBE; i++, s = (s + 1) & this.mask) {
      const e = this.expires[s]!;
      if (e > now && this.same(s)) {
        this.expires[s] = now + ttl;
        return s;
      }
      if (e <= now) {
        victim = s;
        oldest = -Infinity;
      } else if (e < oldest) {
        victim = s;
        oldest = e;
      }
    }
    if (this.expires[victim]! <= now) this.live++;
    this.keys.set(this.key, victim * this.keyLen);
    this.expires[victim] = now + ttl;
    return victim;
  }

  /** Forgets every entry. */
  clear(): void {
    this.expires.fill(0);
    this.live = 0;
  }
}
