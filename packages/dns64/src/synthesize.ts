/**
 * RFC 6147 DNS64 decisions and synthesis, pure: no I/O, no clock. The
 * resolver calls, in order, `shouldIntercept` (does DNS64 apply to this
 * question at all?), `shouldSynthesize` (given the AAAA answer, return it or
 * synthesize?) and `synthesize` (build the answer from the A answer).
 */
import type { DecodedPacket } from 'dns-packet';
import {
  embedIpv4Bytes, formatIpv6, ipv6InCidr, mayEmbed, tryParseIpv4, tryParseIpv6,
  type Ipv6Cidr, type Nat64Prefix,
} from '@sixgate/addressing';
import { inAnyZone, normalizeName } from './names.js';
import { rcodeOf, responseFlags, soaOf, withoutOpt, type ResponseDraft, type Rr } from './message.js';
import { isIpv4onlyName } from './ipv4only.js';
import { reverseZoneOf } from './reverse.js';
import { CLASS_IN, RCODE, TYPE, type ParsedQuery } from './wire.js';

/** The synthesis settings (a subset of the resolved options). */
export interface SynthesisPolicy {
  readonly prefix: Nat64Prefix;
  readonly wkpStrict: boolean;
  readonly exclude: readonly Ipv6Cidr[];
  readonly synthesizeOnError: boolean;
  readonly noSynthesis: readonly string[];
  readonly ignoreAaaa: readonly string[];
}

/**
 * What to do with a question:
 * - `pass`: forward unchanged (not IN, not AAAA/PTR-under-prefix, CD=1, noSynthesis);
 * - `local`: answer from local data (ipv4only.arpa, RFC 8880 §7);
 * - `aaaa`: DNS64 AAAA processing; `aaaa-from-a`: skip the AAAA query (ignoreAaaa);
 * - `ptr`: PTR under the prefix's ip6.arpa zone (§5.3.1).
 */
export type Intercept = 'pass' | 'local' | 'aaaa' | 'aaaa-from-a' | 'ptr';

/** Decides whether DNS64 applies to `q` at all. */
export function shouldIntercept(q: ParsedQuery, policy: SynthesisPolicy): Intercept {
  // §5.1: only class IN; any other class behaves as if DNS64 were not configured.
  if (q.qclass !== CLASS_IN) return 'pass';
  if (isIpv4onlyName(q.qname)) return 'local';
  if (q.qtype === TYPE.PTR) {
    const zone = reverseZoneOf(policy.prefix);
    return q.qname === zone || q.qname.endsWith(`.${zone}`) ? 'ptr' : 'pass';
  }
  // §5.3.3: every other type, A included, is returned unchanged; ANY is never synthesized.
  if (q.qtype !== TYPE.AAAA) return 'pass';
  // §5.5: CD=1 means the client validates itself: no synthesis, plain answer.
  if (q.cd) return 'pass';
  if (inAnyZone(q.qname, policy.noSynthesis)) return 'pass';
  if (inAnyZone(q.qname, policy.ignoreAaaa)) return 'aaaa-from-a';
  return 'aaaa';
}

/** Outcome of looking at the AAAA answer. */
export type SynthesisDecision =
  | { readonly kind: 'return'; readonly draft: ResponseDraft; readonly excluded: number }
  | { readonly kind: 'synthesize'; readonly negative: DecodedPacket | undefined; readonly excluded: number }
  | { readonly kind: 'fail' };

function isExcluded(r: Rr, exclude: readonly Ipv6Cidr[]): boolean {
  if (r.type !== 'AAAA') return false;
  const bytes = tryParseIpv6(String(r.data));
  return bytes === undefined || exclude.some((c) => ipv6InCidr(bytes, 0, c));
}

/**
 * Given the upstream AAAA answer (undefined after a timeout), decides whether
 * to return it or to synthesize. `q` supplies the response flags.
 */
export function shouldSynthesize(q: ParsedQuery, aaaa: DecodedPacket | undefined, policy: SynthesisPolicy): SynthesisDecision {
  // §5.1.3: a timeout counts as SERVFAIL; §5.1.2: any rcode but NXDOMAIN counts as empty.
  if (aaaa === undefined) return policy.synthesizeOnError ? { kind: 'synthesize', negative: undefined, excluded: 0 } : { kind: 'fail' };
  const rcode = rcodeOf(aaaa);
  const draft = (answers: Rr[]): ResponseDraft => ({
    flags: responseFlags(q, rcode, aaaa.flag_ad && q.edns?.dnssecOk === true),
    answers,
    authorities: withoutOpt(aaaa.authorities),
    additionals: withoutOpt(aaaa.additionals),
  });
  // §5.1.2: NXDOMAIN is returned as normal.
  if (rcode === RCODE.nxDomain) return { kind: 'return', draft: draft(withoutOpt(aaaa.answers)), excluded: 0 };
  if (rcode !== RCODE.noError) {
    return policy.synthesizeOnError ? { kind: 'synthesize', negative: undefined, excluded: 0 } : { kind: 'return', draft: draft(withoutOpt(aaaa.answers)), excluded: 0 };
  }
  const all = withoutOpt(aaaa.answers);
  const kept = all.filter((r) => !isExcluded(r, policy.exclude));
  const excluded = all.length - kept.length;
  // §5.1.4: a set whose AAAA are all excluded is empty; a mixed set keeps the rest.
  if (kept.some((r) => r.type === 'AAAA')) {
    // Removing records breaks their RRSIG: drop signatures over AAAA when anything was cut.
    const answers = excluded === 0 ? kept : kept.filter((r) => !(r.type === 'RRSIG' && coveredType(r) === 'AAAA'));
    return { kind: 'return', draft: draft(answers), excluded };
  }
  return { kind: 'synthesize', negative: aaaa, excluded };
}

function coveredType(r: Rr): string | undefined {
  return r.type === 'RRSIG' ? (r.data as { typeCovered?: string }).typeCovered : undefined;
}

/** §5.1.7: min(A TTL, SOA TTL, SOA MINIMUM) with a negative SOA, else min(A TTL, 600). */
export function synthesizedTtl(aTtl: number, negative: DecodedPacket | undefined): number {
  const soa = soaOf(negative);
  if (soa === undefined) return Math.min(aTtl, 600);
  return Math.min(aTtl, soa.ttl, soa.minimum);
}

/** Result of `synthesize`: the draft plus what the cache and counters need. */
export interface Synthesis {
  readonly draft: ResponseDraft;
  /** IPv4 addresses embedded in the answer, in answer order. */
  readonly embedded: readonly number[];
  /** A records dropped because the prefix may not carry them (RFC 6052 §3.1). */
  readonly notEmbeddable: number;
}

function chainKey(r: Rr): string {
  return `${normalizeName(r.name)}|${r.type}|${normalizeName(String(r.data))}`;
}

/** §5.1.5: the CNAME/DNAME chain of both answers, deduplicated, AAAA answer's order first. */
function chainOf(...packets: (DecodedPacket | undefined)[]): Rr[] {
  const seen = new Set<string>();
  const out: Rr[] = [];
  for (const p of packets) {
    for (const r of withoutOpt(p?.answers)) {
      if (r.type !== 'CNAME' && r.type !== 'DNAME' && !(r.type === 'RRSIG' && ['CNAME', 'DNAME'].includes(coveredType(r) ?? ''))) continue;
      const key = r.type === 'RRSIG' ? `${chainKey(r)}|${JSON.stringify(r.data)}` : chainKey(r);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(r);
    }
  }
  return out;
}

/**
 * Owners an A record may have: the query name and every CNAME target reached
 * from it (§5.1.5). A records of other owners are not ours to synthesize —
 * a scrub against answers stuffed with unrelated data.
 */
function chainOwners(qname: string, answers: readonly Rr[]): Set<string> {
  const owners = new Set([qname]);
  for (let grew = true, n = 0; grew && n < 16; n++) {
    grew = false;
    for (const r of answers) {
      if (r.type !== 'CNAME' || !owners.has(normalizeName(r.name))) continue;
      const target = normalizeName(String(r.data));
      if (!owners.has(target)) {
        owners.add(target);
        grew = true;
      }
    }
  }
  return owners;
}

/** Turns A records into synthetic AAAA (§5.1.7): owner kept, class IN, TTL per §5.1.7. */
function synthesizeRecords(qname: string, a: DecodedPacket, negative: DecodedPacket | undefined, policy: SynthesisPolicy): { records: Rr[]; embedded: number[]; refused: number } {
  const records: Rr[] = [];
  const embedded: number[] = [];
  let refused = 0;
  const answers = withoutOpt(a.answers);
  const owners = chainOwners(qname, answers);
  for (const r of answers) {
    if (r.type !== 'A' || (r.class ?? 'IN') !== 'IN' || !owners.has(normalizeName(r.name))) continue;
    const v4 = tryParseIpv4(String(r.data));
    if (v4 < 0) continue;
    // RFC 6052 §3.1: the WKP never carries a non-global IPv4 address.
    if (!mayEmbed(policy.prefix, v4, { wkpStrict: policy.wkpStrict })) {
      refused++;
      continue;
    }
    embedded.push(v4);
    records.push({ name: r.name, type: 'AAAA', class: 'IN', ttl: synthesizedTtl(r.ttl ?? 0, negative), data: formatIpv6(embedIpv4Bytes(policy.prefix, v4)) } as Rr);
  }
  return { records, embedded, refused };
}

/**
 * Builds the DNS64 answer from the A answer `a` and the negative AAAA answer
 * (undefined after an error/timeout or with ignoreAaaa).
 */
export function synthesize(q: ParsedQuery, negative: DecodedPacket | undefined, a: DecodedPacket, policy: SynthesisPolicy): Synthesis {
  const rcode = rcodeOf(a);
  const chain = chainOf(negative, a);
  // §5.4: authority and additional come from the final (A) answer; §5.3.2: additional unchanged.
  const authorities = withoutOpt(a.authorities);
  const additionals = withoutOpt(a.additionals);
  const { records, embedded, refused } = rcode === RCODE.noError ? synthesizeRecords(q.qname, a, negative, policy) : { records: [], embedded: [], refused: 0 };
  if (records.length === 0) {
    // §5.1.6: an empty or failed A answer is the basis of the reply.
    const basisAuthority = rcode === RCODE.noError && refused > 0 && negative !== undefined ? withoutOpt(negative.authorities) : authorities;
    return {
      draft: { flags: responseFlags(q, rcode, false), answers: chain, authorities: basisAuthority, additionals },
      embedded,
      notEmbeddable: refused,
    };
  }
  // §5.5: AD only when both answers were authenticated and the client asked with DO.
  const ad = q.edns?.dnssecOk === true && negative?.flag_ad === true && a.flag_ad;
  return {
    draft: { flags: responseFlags(q, RCODE.noError, ad), answers: [...chain, ...records], authorities, additionals },
    embedded,
    notEmbeddable: refused,
  };
}
