/**
 * Live trace of translator and DNS64 decisions for the admin API's
 * `GET /api/v1/trace`: the daemon hands `subscribe` to its AdminPorts.trace,
 * the packet loop (datapath, through its `PacketTrace` interface) and the
 * DNS64 server feed decisions in. While no one subscribes, `active` is false
 * and the packet loop builds nothing; with subscribers, each decision becomes
 * one record (with packet bytes only when a subscriber asked for pcap).
 */
import {
  extractIpv4, formatIpv4, formatIpv6, ipv4InCidr, ipv6InCidr, parseIpv4Cidr, parseIpv6Cidr, readIpv4,
  type Ipv4Cidr, type Ipv6Cidr, type Nat64Prefix,
} from '@sixgate/addressing';
import type { TraceFilter, TraceRecord } from './ports.js';

type Matcher = { v6?: Ipv6Cidr; v4?: Ipv4Cidr } | undefined;

function matcher(text: string | undefined): Matcher {
  if (!text) return undefined;
  return text.includes(':') ? { v6: parseIpv6Cidr(text) } : { v4: parseIpv4Cidr(text) };
}

/** The addresses of one packet: IPv6 as bytes at an offset, IPv4 as uint32 (-1 when absent). */
interface Ends {
  v6buf?: Uint8Array;
  v6off: number;
  v4: number;
}

function matches(m: Matcher, e: Ends): boolean {
  if (m === undefined) return true;
  if (m.v6 && e.v6buf) return ipv6InCidr(e.v6buf, e.v6off, m.v6);
  if (m.v4 && e.v4 >= 0) return ipv4InCidr(e.v4, m.v4);
  return false;
}

interface Subscriber {
  readonly client: Matcher;
  readonly dst: Matcher;
  readonly packets: boolean;
  readonly onRecord: (r: TraceRecord) => void;
}

const PROTO: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6' };

export class TraceHub {
  private subs: Subscriber[] = [];
  /** True while at least one subscriber listens (the hot path checks only this). */
  active = false;
  /** True while at least one subscriber wants packet bytes. */
  wantsPackets = false;

  subscribe(filter: TraceFilter, onRecord: (r: TraceRecord) => void): () => void {
    const sub: Subscriber = { client: matcher(filter.client), dst: matcher(filter.dst), packets: filter.packets, onRecord };
    this.subs.push(sub);
    this.refresh();
    return () => {
      this.subs = this.subs.filter((s) => s !== sub);
      this.refresh();
    };
  }

  private refresh(): void {
    this.active = this.subs.length > 0;
    this.wantsPackets = this.subs.some((s) => s.packets);
  }

  /**
   * One translator decision about `before` (the packet as received, a copy).
   * `after` is what was sent (undefined for drops).
   */
  packet(prefix: Nat64Prefix, before: Uint8Array, decision: string, reason: string | undefined, after: Uint8Array | undefined): void {
    if (before.length < 20) return;
    const v = before[0]! >> 4;
    let direction: '6to4' | '4to6';
    let client: Ends;
    let dst: Ends;
    let proto: number;
    if (v === 6 && before.length >= 40) {
      direction = '6to4';
      proto = before[6]!;
      client = { v6buf: before, v6off: 8, v4: -1 };
      dst = { v6buf: before, v6off: 24, v4: extractIpv4(prefix, before, 24) };
    } else if (v === 4) {
      direction = '4to6';
      proto = before[9]!;
      // The IPv6 client is the translated destination; the remote is the IPv4 source.
      client = after && after.length >= 40 && after[0]! >> 4 === 6 ? { v6buf: after, v6off: 24, v4: readIpv4(before, 16) } : { v4: readIpv4(before, 16), v6off: 0 };
      dst = { v4: readIpv4(before, 12), v6off: 0 };
    } else {
      return;
    }
    const fmt = (e: Ends): string => (e.v6buf ? formatIpv6(e.v6buf, e.v6off) : e.v4 >= 0 ? formatIpv4(e.v4) : '?');
    for (const s of this.subs) {
      if (!matches(s.client, client) || !matches(s.dst, dst)) continue;
      const rec: TraceRecord = {
        ts: Date.now(),
        source: 'nat64',
        direction,
        client: fmt(client),
        dst: dst.v4 >= 0 ? formatIpv4(dst.v4) : fmt(dst),
        protocol: PROTO[proto] ?? String(proto),
        decision,
        ...(reason ? { reason } : {}),
        ...(s.packets ? { before, ...(after ? { after } : {}) } : {}),
      };
      s.onRecord(rec);
    }
  }

  /** One DNS64 decision. */
  query(r: { client: string; qname: string; qtype: number; decision: string; rcode: number; transport: string; durationMs: number }): void {
    for (const s of this.subs) {
      if (s.client) {
        const ends = r.client.includes(':') ? { v6buf: parseIpv6Cidr(r.client).bytes, v6off: 0, v4: -1 } : { v4: parseIpv4Cidr(r.client).address, v6off: 0 };
        if (!matches(s.client, ends)) continue;
      }
      if (s.dst) continue; // destination filters select packets, not queries
      s.onRecord({
        ts: Date.now(),
        source: 'dns64',
        client: r.client,
        dst: r.qname,
        protocol: r.transport,
        decision: r.decision,
        detail: `qtype ${r.qtype} rcode ${r.rcode} ${r.durationMs.toFixed(2)} ms`,
      });
    }
  }
}
