/**
 * ipv4only.arpa answered locally (RFC 7050 §2.2, RFC 8880 §7): A 192.0.0.170
 * and .171, AAAA synthesized under the prefix, and the reverse names
 * 170/171.0.0.192.in-addr.arpa → PTR ipv4only.arpa. Clients use these to
 * discover the prefix, so they must work even when no upstream answers.
 */
import { embedIpv4Bytes, formatIpv6, formatIpv4, IPV4ONLY_ADDRESSES, type Nat64Prefix } from '@sixgate/addressing';
import { responseFlags, type ResponseDraft, type Rr } from './message.js';
import { FLAG, RCODE, TYPE, type ParsedQuery } from './wire.js';

const ZONE = 'ipv4only.arpa';
const REVERSE = ['170.0.0.192.in-addr.arpa', '171.0.0.192.in-addr.arpa'];
/** TTL of the local data; the SOA MINIMUM caps negative and synthesized TTLs (RFC 6147 §5.1.7). */
export const IPV4ONLY_TTL = 3600;
const SOA_MINIMUM = 600;

/** Whether `qname` (normalized) is local ipv4only data. */
export function isIpv4onlyName(qname: string): boolean {
  return qname === ZONE || qname.endsWith(`.${ZONE}`) || REVERSE.includes(qname);
}

function soa(owner: string): Rr {
  return {
    name: owner, type: 'SOA', class: 'IN', ttl: IPV4ONLY_TTL,
    data: { mname: 'localhost', rname: 'nobody.invalid', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: SOA_MINIMUM },
  } as Rr;
}

function forwardRecords(qtype: number, prefix: Nat64Prefix): Rr[] {
  const out: Rr[] = [];
  if (qtype === TYPE.A || qtype === TYPE.ANY) {
    for (const v4 of IPV4ONLY_ADDRESSES) out.push({ name: ZONE, type: 'A', class: 'IN', ttl: IPV4ONLY_TTL, data: formatIpv4(v4) } as Rr);
  }
  if (qtype === TYPE.AAAA || qtype === TYPE.ANY) {
    for (const v4 of IPV4ONLY_ADDRESSES) {
      const ttl = Math.min(IPV4ONLY_TTL, SOA_MINIMUM);
      out.push({ name: ZONE, type: 'AAAA', class: 'IN', ttl, data: formatIpv6(embedIpv4Bytes(prefix, v4)) } as Rr);
    }
  }
  if (qtype === TYPE.SOA || qtype === TYPE.ANY) out.push(soa(ZONE));
  return out;
}

/** The local answer for an ipv4only name (class IN); `synthesized` when it holds synthetic AAAA. */
export function ipv4onlyAnswer(q: ParsedQuery, prefix: Nat64Prefix): { draft: ResponseDraft; synthesized: boolean } {
  const reverse = REVERSE.includes(q.qname);
  const apex = reverse ? q.qname : ZONE;
  let answers: Rr[] = [];
  let rcode: number = RCODE.noError;
  if (reverse) {
    if (q.qtype === TYPE.PTR || q.qtype === TYPE.ANY) answers.push({ name: q.qname, type: 'PTR', class: 'IN', ttl: IPV4ONLY_TTL, data: ZONE } as Rr);
    if (q.qtype === TYPE.SOA || q.qtype === TYPE.ANY) answers.push(soa(apex));
  } else if (q.qname === ZONE) {
    answers = forwardRecords(q.qtype, prefix);
  } else {
    rcode = RCODE.nxDomain;
  }
  const negative = answers.length === 0;
  return {
    // Local authoritative data (RFC 8880 §7.2): AA set.
    draft: { flags: responseFlags(q, rcode) | FLAG.aa, answers, authorities: negative ? [soa(apex)] : [], additionals: [] },
    synthesized: answers.some((r) => r.type === 'AAAA'),
  };
}
