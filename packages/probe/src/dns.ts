/**
 * The DNS step: ask sixgate's own DNS64 listener for A and AAAA, as a client
 * would, and sort the AAAA records into real ones, ones synthesized under the
 * live prefix and ones synthesized under another prefix (RFC 6147 §5.1; the
 * Extended DNS Error 29 "Synthesized", RFC 8914, marks a synthesized answer).
 * The query goes out as one-shot UDP exchanges (dgram-as-promised).
 */
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import DgramAsPromised from 'dgram-as-promised';
import * as dnsPacket from 'dns-packet';
import { extractIpv4, formatIpv4, parseIpv6, parseNat64Prefix } from '@sixgate/addressing';
import { NATIVE_AAAA_ONLY, NATIVE_IPV6, NO_A_RECORD, prefixMismatch } from './diagnoses.js';

/** RFC 8914 §5.2: info-code 29, "Synthesized". */
const EDE_SYNTHESIZED = 29;
const EDE_OPTION = 15;

/** One answer as the probe needs it. */
export interface DnsAnswer {
  readonly rcode: string;
  readonly addresses: readonly string[];
  /** Extended DNS Error info codes on the answer. */
  readonly ede: readonly number[];
  readonly truncated: boolean;
}

/** Builds the query bytes (RD set, EDNS with a 1232-byte buffer). */
export function buildQuery(id: number, name: string, type: 'A' | 'AAAA'): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0, options: [] } as unknown as dnsPacket.Answer],
  });
}

/**
 * Reads an answer to (id, name, type); undefined when the bytes are not that
 * answer (another ID or question, or not a response), so a stray datagram is
 * ignored, never trusted. Throws nothing.
 */
export function parseAnswer(bytes: Buffer, id: number, name: string, type: 'A' | 'AAAA'): DnsAnswer | undefined {
  let p: dnsPacket.Packet;
  try {
    p = dnsPacket.decode(bytes);
  } catch {
    return undefined;
  }
  const q = p.questions?.[0];
  if (p.id !== id || p.type !== 'response' || q === undefined || q.type !== type || q.name.toLowerCase() !== name.toLowerCase()) return undefined;
  const addresses = (p.answers ?? []).filter((a) => a.type === type).map((a) => String((a as { data: unknown }).data));
  const ede: number[] = [];
  for (const add of p.additionals ?? []) {
    if (add.type !== 'OPT') continue;
    for (const o of (add as unknown as { options?: { code: number; data?: Buffer }[] }).options ?? []) {
      if (o.code === EDE_OPTION && o.data !== undefined && o.data.length >= 2) ede.push(o.data.readUInt16BE(0));
    }
  }
  return { rcode: (p as { rcode?: string }).rcode ?? 'NOERROR', addresses, ede, truncated: ((p.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE) !== 0 };
}

/** Sends one query and waits for its answer (one retry after half the time). Throws on a timeout. */
export async function query(server: { address: string; port: number }, name: string, type: 'A' | 'AAAA', timeoutMs: number): Promise<DnsAnswer> {
  const sock = DgramAsPromised.createSocket(isIP(server.address) === 4 ? 'udp4' : 'udp6');
  const id = randomInt(0, 65536);
  const msg = buildQuery(id, name, type);
  const end = Date.now() + timeoutMs;
  try {
    await sock.bind();
    let resendAt = Date.now() + timeoutMs / 2;
    await sock.send(msg, 0, msg.length, server.port, server.address);
    // One pending recv() at a time, raced against our own timer (the library's
    // timeout leaves the socket errored, which would fail the resend).
    let pending = sock.recv();
    for (;;) {
      const left = Math.min(end, resendAt) - Date.now();
      if (left <= 0) {
        if (Date.now() >= end) throw new Error(`no answer from the DNS64 listener [${server.address}]:${server.port} within ${timeoutMs} ms`);
        resendAt = end;
        await sock.send(msg, 0, msg.length, server.port, server.address);
        continue;
      }
      let timer: NodeJS.Timeout | undefined;
      const packet = await Promise.race([pending, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), left)))]);
      clearTimeout(timer);
      if (packet === 'timeout') continue;
      if (packet === undefined) throw new Error('the DNS socket closed');
      pending = sock.recv();
      if (packet.rinfo.port !== server.port) continue;
      const answer = parseAnswer(packet.msg, id, name, type);
      if (answer !== undefined) return answer;
    }
  } finally {
    await sock.close().catch(() => undefined);
  }
}

/** How the AAAA records of a name relate to NAT64. */
export type DnsVerdict =
  /** AAAA under the live prefix: translate to `address4` via `address6`. */
  | { readonly kind: 'synthesized'; readonly address6: string; readonly address4: string }
  | { readonly kind: 'no-a'; readonly diagnosis: string }
  | { readonly kind: 'native-only'; readonly diagnosis: string }
  | { readonly kind: 'native'; readonly diagnosis: string }
  | { readonly kind: 'mismatch'; readonly diagnosis: string }
  /** A records, but no AAAA at all: DNS64 refused (policy, exclusion) or failed. */
  | { readonly kind: 'not-synthesized'; readonly address4: string };

/** The last 32 bits: where a /96 prefix (the common case) embeds IPv4. */
function low32(b: Uint8Array): string {
  return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
}

/**
 * Sorts the answers (pure). A synthesized AAAA is one under the live prefix,
 * or, under another prefix, one whose low 32 bits are an A record of the name
 * or whose answer carries EDE 29: that is a prefix mismatch.
 */
export function classifyDns(a: DnsAnswer, aaaa: DnsAnswer, livePrefix: string): DnsVerdict {
  const prefix = parseNat64Prefix(livePrefix);
  const v4s = new Set(a.addresses);
  const synthesizedAnswer = aaaa.ede.includes(EDE_SYNTHESIZED);
  const live: { address6: string; address4: string }[] = [];
  const native: string[] = [];
  for (const text of aaaa.addresses) {
    const b = parseIpv6(text);
    const v4 = extractIpv4(prefix, b, 0);
    if (v4 >= 0) live.push({ address6: text, address4: formatIpv4(v4) });
    else if (synthesizedAnswer || v4s.has(low32(b))) return { kind: 'mismatch', diagnosis: prefixMismatch(text, prefix.text) };
    else native.push(text);
  }
  if (native.length > 0) return a.addresses.length > 0 ? { kind: 'native', diagnosis: NATIVE_IPV6 } : { kind: 'native-only', diagnosis: NATIVE_AAAA_ONLY };
  if (a.addresses.length === 0) return { kind: 'no-a', diagnosis: NO_A_RECORD };
  const first = live.find((l) => v4s.has(l.address4)) ?? live[0];
  if (first !== undefined) return { kind: 'synthesized', ...first };
  return { kind: 'not-synthesized', address4: a.addresses[0]! };
}
