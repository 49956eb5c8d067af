/**
 * Held IPv4 SYNs for TCP simultaneous open (RFC 6146 §3.5.2.2, CLOSED state,
 * "V4 SYN packet received" with no BIB entry): the packet is kept for
 * TCP_INCOMING_SYN (6 s). If an IPv6 SYN towards its source arrives in time,
 * the new binding takes the awaited pool4 address/port and the stored packet is
 * dropped; otherwise it goes back to the translator, which answers with
 * ICMPv4 port unreachable (3/3) quoting it. The queue is bounded
 * (`maxHeldSyns`) because an IPv4 attacker controls its input. All entries
 * share one lifetime, so the array is ordered by expiry.
 */
import { StateFail, type ExpiredSyn } from './api.js';

interface HeldSyn extends ExpiredSyn {
  readonly src4: number;
  readonly srcPort: number;
  readonly dst4: number;
  readonly dstPort: number;
  readonly expires: number;
}

const NONE: readonly ExpiredSyn[] = Object.freeze([]);

export class SynQueue {
  private items: HeldSyn[] = [];

  constructor(private readonly max: number) {}

  /** Held SYNs right now. */
  get size(): number {
    return this.items.length;
  }

  /** Stores a copy of `packet`; a retransmission of a held SYN keeps the first copy. */
  hold(src4: number, srcPort: number, dst4: number, dstPort: number, packet: Uint8Array, expires: number): number {
    for (const h of this.items) {
      if (h.src4 === src4 && h.srcPort === srcPort && h.dst4 === dst4 && h.dstPort === dstPort) return StateFail.synHeld;
    }
    if (this.items.length >= this.max) return StateFail.synQueueFull;
    this.items.push({ src4, srcPort, dst4, dstPort, expires, packet: packet.slice() });
    return StateFail.synHeld;
  }

  /**
   * Removes and returns the held SYN from `remote4:remotePort`; with `exact`,
   * only one addressed to `dst4:dstPort`. Addresses are int32 like the rest of
   * the state's internals.
   */
  take(remote4: number, remotePort: number, exact: boolean, dst4: number, dstPort: number): { dst4: number; dstPort: number } | undefined {
    for (let i = 0; i < this.items.length; i++) {
      const h = this.items[i]!;
      if (h.src4 !== remote4 || h.srcPort !== remotePort) continue;
      if (exact && (h.dst4 !== dst4 || h.dstPort !== dstPort)) continue;
      this.items.splice(i, 1);
      return h;
    }
    return undefined;
  }

  /** Removes and returns the SYNs whose hold ended at or before `now`. */
  expire(now: number): readonly ExpiredSyn[] {
    let n = 0;
    while (n < this.items.length && this.items[n]!.expires <= now) n++;
    if (n === 0) return NONE;
    return this.items.splice(0, n).map((h) => ({ packet: h.packet }));
  }

  clear(): void {
    this.items = [];
  }
}
