/**
 * Host defaults: upstreams from /etc/resolv.conf and the client networks on
 * the host's interfaces (SPEC §3 defaults of --upstream and --dns-clients).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { tryParseIpv4, tryParseIpv6 } from '@sixgate/addressing';

/** `nameserver` lines of a resolv.conf (RFC-less but universal format); missing file → []. */
export function resolvConfNameservers(path = '/etc/resolv.conf'): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    const addr = m[1]!.replace(/%.*$/, '');
    if (tryParseIpv4(addr) >= 0) out.push(addr);
    else if (tryParseIpv6(addr) !== undefined) out.push(`[${addr}]:53`);
  }
  return out;
}

function maskedText(bytes: number[], bits: number, v6: boolean): string {
  const b = bytes.map((x, i) => (i * 8 >= bits ? 0 : i * 8 + 8 <= bits ? x : x & (0xff << (8 - (bits - i * 8))) & 0xff));
  if (!v6) return `${b.join('.')}/${bits}`;
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return `${words.join(':')}/${bits}`;
}

/** Loopback plus the subnet of every address on the host's interfaces, as CIDR text. */
export function hostClientNetworks(): string[] {
  const out = new Set<string>(['127.0.0.0/8', '::1/128']);
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) {
      const bits = Number(a.cidr?.split('/')[1] ?? (a.family === 'IPv4' ? 32 : 128));
      if (a.family === 'IPv4') {
        out.add(maskedText(a.address.split('.').map(Number), bits, false));
      } else {
        const bytes = tryParseIpv6(a.address.replace(/%.*$/, ''));
        if (bytes) out.add(maskedText([...bytes], bits, true));
      }
    }
  }
  return [...out];
}
