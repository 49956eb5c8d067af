/**
 * Path MTU search after a stalled transfer. A black hole (RFC 2923 §2.1):
 * big packets vanish on the IPv4 side and no ICMP "fragmentation needed"
 * comes back, so the handshake works and the data never arrives. The search
 * makes the appliance advertise a smaller TCP MSS to the target (the ports'
 * limitMss) and repeats the transfer: the server then sends IPv4 packets of
 * MSS + 40 bytes (20 IPv4 + 20 TCP; the MSS excludes TCP options, RFC 9293
 * §3.7.1), and a binary search finds the largest size that gets through.
 */
import { pmtuBlackHole } from './diagnoses.js';
import type { Network } from './connect.js';
import type { ProbePorts } from './ports.js';
import { hostHeader, type Target } from './targets.js';

/** IPv4 packet sizes searched: RFC 791's 576 that every host takes, up to Ethernet's 1500. */
export const PMTU_FLOOR = 576;
export const PMTU_CEILING = 1500;
/** 20 bytes of IPv4 header + 20 of TCP header. */
const HEADERS = 40;
const MAX_ATTEMPTS = 12;

export type PmtuVerdict = { readonly kind: 'black-hole'; readonly size: number; readonly detail: string; readonly diagnosis: string } | { readonly kind: 'other'; readonly detail: string; readonly diagnosis: string };

/**
 * Binary search over IPv4 packet sizes with `works(size)`; pure apart from
 * `works`. Returns the largest size that worked, or undefined when even the
 * floor failed. At most `maxAttempts` calls.
 */
export async function searchSize(works: (size: number) => Promise<boolean>, floor = PMTU_FLOOR, ceiling = PMTU_CEILING, maxAttempts = MAX_ATTEMPTS): Promise<{ size?: number; attempts: number; tried: [number, boolean][] }> {
  const tried: [number, boolean][] = [];
  const attempt = async (n: number): Promise<boolean> => {
    const ok = await works(n);
    tried.push([n, ok]);
    return ok;
  };
  if (!(await attempt(floor))) return { attempts: 1, tried };
  let lo = floor;
  let hi = ceiling + 1;
  while (hi - lo > 1 && tried.length < maxAttempts) {
    const mid = (lo + hi) >>> 1;
    if (await attempt(mid)) lo = mid;
    else hi = mid;
  }
  return { size: lo, attempts: tried.length, tried };
}

interface Where {
  readonly address6: string;
  readonly source6: string;
}

/** One transfer with the MSS limited so IPv4 packets are at most `size` bytes. */
async function transfer(target: Target, ports: ProbePorts, w: Where, size: number, o: { timeoutMs: number; ca: string[] | undefined; net: Network }): Promise<boolean> {
  const undo = await ports.limitMss!(w.address6, size - HEADERS);
  try {
    const c = await o.net.tcpConnect(w.address6, target.port!, w.source6, o.timeoutMs);
    if (!c.ok) return false;
    let socket = c.socket;
    if (target.scheme === 'https') {
      const t = await o.net.tlsHandshake(socket, target.literal ? undefined : target.host, { insecure: true, ca: o.ca, timeoutMs: o.timeoutMs });
      if (!t.ok) return false;
      socket = t.socket;
    }
    const h = await o.net.httpGet(socket, hostHeader(target), target.path!, { stallMs: Math.min(1500, o.timeoutMs), timeoutMs: o.timeoutMs * 4 });
    return h.complete;
  } finally {
    await undo();
  }
}

/** Searches the working size after a stall; names a black hole, or says it is not one. */
export async function searchPmtu(target: Target, ports: ProbePorts, w: Where, o: { timeoutMs: number; ca: string[] | undefined; net: Network }): Promise<PmtuVerdict> {
  if (ports.limitMss === undefined) {
    return { kind: 'other', detail: 'the transfer stalled after the handshake; the MSS cannot be limited here (needs root on the appliance)', diagnosis: 'transfer stalled after the handshake: a PMTU black hole is likely (run as root to measure the working size)' };
  }
  const r = await searchSize((n) => transfer(target, ports, w, n, o));
  const tried = r.tried.map(([n, ok]) => `${n}${ok ? '✓' : '✗'}`).join(' ');
  if (r.size === undefined) {
    return { kind: 'other', detail: `stalled with every size tried (${tried})`, diagnosis: `transfer stalled after the handshake, even with ${PMTU_FLOOR}-byte packets: the server or the path stops the data` };
  }
  return { kind: 'black-hole', size: r.size, detail: `IPv4 packets of ${r.size} bytes get through, larger ones vanish without an ICMP error (sizes tried: ${tried})`, diagnosis: pmtuBlackHole(r.size) };
}
