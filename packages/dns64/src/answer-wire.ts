/**
 * Upstream answers read in place (RFC 1035 §4.1) for the miss path: the
 * common shapes are forwarded or synthesized straight from the received
 * bytes, without decoding the message into objects —
 *
 * - a AAAA answer returned to the client (real AAAA records, NXDOMAIN, an
 *   error with synthesizeOnError off): the upstream's sections copied as they
 *   are, behind our header and the client's question (`forwardAnswer`);
 * - a negative AAAA answer (NODATA with or without SOA, an error counted as
 *   empty) plus an A answer whose records all belong to the query name, or
 *   to the end of a CNAME chain that both answers carry alike: the chain
 *   copied, synthetic AAAA records after it, then a copy of the A answer's
 *   authority and additional sections (`synthesizeInPlace`).
 *
 * Everything else (DNAME, a chain that differs between the two answers or
 * does not lead from the query name, excluded AAAA, A records the prefix may
 * not carry, foreign owners, DNSSEC records around a synthesis, an OPT record
 * that is not last, unusual record types in the copied sections) answers
 * "not here" and the resolver takes the decoding path with the same result.
 * Every read is bounded by the message length; malformed bytes give "not
 * here", never an exception.
 */
import { embedIpv4, mayEmbed, ipv6InCidr, type Ipv6Cidr, type Nat64Prefix } from '@sixgate/addressing';
import { NO_POINTERS, walkName } from './name-walk.js';
import { CLASS_IN, FLAG, RCODE, TYPE, copyBytes, type ParsedQuery } from './wire.js';

const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const u32 = (b: Uint8Array, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
const fold = (c: number): number => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c);

/** Where the sections of an upstream answer are. */
export interface AnswerLayout {
  readonly rcode: number;
  readonly ad: boolean;
  /** Start of the answer section (= end of the question, the same offset as in the client's query). */
  readonly anStart: number;
  readonly nsStart: number;
  readonly arStart: number;
  /** End of the records we keep: the OPT record, when there is one, starts here (it is the last record). */
  readonly bodyEnd: number;
  readonly an: number;
  readonly ns: number;
  /** Additional records without the OPT record. */
  readonly ar: number;
}

/** Walks `count` records from `o`; the offset after them, or -1 when malformed (also with an OPT among them). */
function skipRecords(buf: Uint8Array, o: number, count: number): number {
  for (let i = 0; i < count; i++) {
    const nameEnd = walkName(buf, o, buf.length, 0);
    if (nameEnd < 0 || nameEnd + 10 > buf.length) return -1;
    if (u16(buf, nameEnd) === TYPE.OPT) return -1;
    o = nameEnd + 10 + u16(buf, nameEnd + 8);
    if (o > buf.length) return -1;
  }
  return o;
}

/**
 * The layout of the upstream answer `buf` to the question `raw[12,
 * q.questionEnd)` asked with type `qtype` (AAAA, or A for the synthesis), or
 * undefined when it is not for this path: malformed, not exactly one
 * question of the same length, name (letter case aside), type and class, an
 * OPT record anywhere but last in the additional section, bytes after the
 * last record.
 */
export function readAnswer(buf: Uint8Array, raw: Uint8Array, q: ParsedQuery, qtype: number): AnswerLayout | undefined {
  const qEnd = q.questionEnd;
  if (buf.length < qEnd || u16(buf, 4) !== 1 || (buf[2]! & 0x80) === 0) return undefined;
  // The upstream question is ours (the client checked ID and question, RFC 5452 §9.1); the same bytes, or we do not copy around it.
  if (walkName(buf, 12, qEnd, NO_POINTERS) !== qEnd - 4) return undefined;
  for (let i = 12; i < qEnd - 4; i++) if (fold(buf[i]!) !== fold(raw[i]!)) return undefined;
  if (u16(buf, qEnd - 4) !== qtype || buf[qEnd - 2] !== raw[qEnd - 2] || buf[qEnd - 1] !== raw[qEnd - 1]) return undefined;
  const an = u16(buf, 6);
  const ns = u16(buf, 8);
  let ar = u16(buf, 10);
  const nsStart = skipRecords(buf, qEnd, an);
  if (nsStart < 0) return undefined;
  const arStart = skipRecords(buf, nsStart, ns);
  if (arStart < 0) return undefined;
  let bodyEnd = ar === 0 ? arStart : skipRecords(buf, arStart, ar - 1);
  if (bodyEnd < 0) return undefined;
  if (ar > 0) {
    // The last additional record: kept, or the OPT (RFC 6891 §6.1.1: one, owned by the root).
    const nameEnd = walkName(buf, bodyEnd, buf.length, 0);
    if (nameEnd < 0 || nameEnd + 10 > buf.length) return undefined;
    const end = nameEnd + 10 + u16(buf, nameEnd + 8);
    if (end !== buf.length) return undefined;
    if (u16(buf, nameEnd) === TYPE.OPT) {
      if (nameEnd !== bodyEnd + 1) return undefined;
      ar--;
    } else {
      bodyEnd = end;
    }
  } else if (bodyEnd !== buf.length) {
    return undefined;
  }
  return { rcode: buf[3]! & 0xf, ad: (buf[3]! & FLAG.ad) !== 0, anStart: qEnd, nsStart, arStart, bodyEnd, an, ns, ar };
}

/** `replaceOpt`'s OPT records for our answers (RFC 6891 §6.1.2, EDE RFC 8914 §2), by DO and EDE 29. */
const OPTS: readonly Uint8Array[] = [false, true].flatMap((ede) => [false, true].map((dok) => {
  const o = new Uint8Array(ede ? 17 : 11);
  o[2] = TYPE.OPT;
  o[3] = 1232 >> 8;
  o[4] = 1232 & 0xff;
  o[7] = dok ? 0x80 : 0;
  if (ede) {
    o[10] = 6;
    o[12] = 15; // EDE option code
    o[14] = 2;
    o[16] = 29; // Synthesized
  }
  return o;
}));

/** The OPT record of our answer to `q` (none without EDNS); EDE 29 for synthesized answers. */
export function optFor(q: ParsedQuery, synthesized: boolean): Uint8Array | undefined {
  return q.edns === undefined ? undefined : OPTS[(synthesized ? 2 : 0) + (q.edns.dnssecOk ? 1 : 0)];
}

/** Flags of a response to `q` (as `responseFlags` in message.ts). */
function flagsFor(q: ParsedQuery, rcode: number, ad: boolean): number {
  return FLAG.qr | FLAG.ra | (q.flags & (0x7800 | FLAG.rd | FLAG.cd)) | (ad ? FLAG.ad : 0) | (rcode & 0xf);
}

function writeHeader(out: Uint8Array, q: ParsedQuery, flags: number, an: number, ns: number, ar: number): void {
  out[0] = q.id >> 8;
  out[1] = q.id & 0xff;
  out[2] = flags >> 8;
  out[3] = flags & 0xff;
  out[4] = 0;
  out[5] = 1;
  out[6] = an >> 8;
  out[7] = an & 0xff;
  out[8] = ns >> 8;
  out[9] = ns & 0xff;
  out[10] = ar >> 8;
  out[11] = ar & 0xff;
}

/**
 * The upstream AAAA answer as the client's answer: our header (ID, RD/CD and
 * opcode of the query, RA, the upstream's rcode, AD only for a DO query,
 * RFC 6840 §5.8), the client's question bytes (its letter case), the three
 * sections byte for byte (their compression pointers keep pointing at the
 * same offsets), then our OPT. Undefined when a record is of a type whose
 * names we do not know or a name is unsound (the decoding path then).
 */
export function forwardAnswer(up: Uint8Array, L: AnswerLayout, raw: Uint8Array, q: ParsedQuery): Buffer | undefined {
  const opt = optFor(q, false);
  const out = Buffer.allocUnsafe(L.bodyEnd + (opt?.length ?? 0));
  copyBytes(up, L.anStart, out, L.anStart, L.bodyEnd - L.anStart);
  copyBytes(raw, 12, out, 12, q.questionEnd - 12);
  // Nothing moves (delta 0); every name is checked, so what a client decodes is what the decoding path would give.
  if (!relocateRecords(out, L.anStart, L.an + L.ns + L.ar, L.anStart, 0, q.questionEnd, L.bodyEnd)) return undefined;
  clientCaseOwners(out, L.anStart, L.an + L.ns + L.ar, raw, q.questionEnd, L.bodyEnd);
  writeHeader(out, q, flagsFor(q, L.rcode, L.ad && q.edns?.dnssecOk === true), L.an, L.ns, L.ar + (opt === undefined ? 0 : 1));
  if (opt !== undefined) copyBytes(opt, 0, out, L.bodyEnd, opt.length);
  return out;
}

/** What to do with a AAAA answer (RFC 6147 §5.1), as `shouldSynthesize` decides it. */
export const AAAA_FORWARD = 0;
/** Synthesize; the AAAA answer is the negative answer (§5.1.7 TTL from its SOA). */
export const AAAA_SYNTHESIZE = 1;
/** Synthesize as if there were no AAAA answer (an error rcode counted as empty, §5.1.2). */
export const AAAA_SYNTHESIZE_EMPTY = 2;
/** Not for this path (excluded AAAA, DNAME or signatures in the answer): decode. */
export const AAAA_DECODE = 3;

/** `shouldSynthesize` for the shapes this path handles (see the AAAA_* values). */
export function aaaaVerdict(buf: Uint8Array, L: AnswerLayout, exclude: readonly Ipv6Cidr[], synthesizeOnError: boolean): number {
  // §5.1.2: NXDOMAIN is returned as it is; any other rcode counts as empty.
  if (L.rcode === RCODE.nxDomain) return AAAA_FORWARD;
  if (L.rcode !== RCODE.noError) return synthesizeOnError ? AAAA_SYNTHESIZE_EMPTY : AAAA_FORWARD;
  let aaaa = 0;
  let other = 0;
  let o = L.anStart;
  for (let i = 0; i < L.an; i++) {
    const nameEnd = walkName(buf, o, buf.length, 0);
    const rd = nameEnd + 10;
    const type = u16(buf, nameEnd);
    if (type === TYPE.AAAA) {
      // §5.1.4: an excluded address changes the answer (or makes it empty): the decoding path does that.
      if (u16(buf, nameEnd + 8) !== 16) return AAAA_DECODE;
      for (const c of exclude) if (ipv6InCidr(buf, rd, c)) return AAAA_DECODE;
      aaaa++;
    } else if (type !== TYPE.CNAME || u16(buf, nameEnd + 2) !== CLASS_IN) {
      other++;
    }
    o = rd + u16(buf, nameEnd + 8);
  }
  if (aaaa > 0) return AAAA_FORWARD;
  // No AAAA: a CNAME chain goes into the synthesis (§5.1.5; `synthesizeInPlace` checks it); DNAME and signatures: decode.
  return other === 0 ? AAAA_SYNTHESIZE : AAAA_DECODE;
}

/**
 * §5.1.7: the cap the negative AAAA answer puts on synthesized TTLs —
 * min(SOA TTL, SOA MINIMUM) of the first SOA in its authority section, 600
 * without one (and without a negative answer).
 */
export function negativeTtlCap(buf: Uint8Array | undefined, L: AnswerLayout | undefined): number {
  if (buf === undefined || L === undefined) return 600;
  let o = L.nsStart;
  for (let i = 0; i < L.ns; i++) {
    const nameEnd = walkName(buf, o, buf.length, 0);
    const end = nameEnd + 10 + u16(buf, nameEnd + 8);
    // MINIMUM is the last field of the SOA RDATA (RFC 1035 §3.3.13), after two names and four counters.
    if (u16(buf, nameEnd) === TYPE.SOA && end - (nameEnd + 10) >= 22) return Math.min(u32(buf, nameEnd + 4), u32(buf, end - 4));
    o = end;
  }
  return 600;
}

/** Whether the name at `buf[o]` equals the question name `buf[12, qEnd - 4)` (a pointer to it or the same labels, case aside). */
function isQuestionName(buf: Uint8Array, o: number, qEnd: number): number {
  if (buf[o] === 0xc0 && buf[o + 1] === 12) return o + 2;
  const nameLen = qEnd - 4 - 12;
  if (o + nameLen > buf.length) return -1;
  for (let i = 0; i < nameLen; i++) if (fold(buf[o + i]!) !== fold(buf[12 + i]!)) return -1;
  return o + nameLen;
}

/**
 * Whether the names at `x[xo]` and `y[yo]` are the same name, letter case
 * aside, each followed through its compression pointers (at most 128 labels
 * and pointers in all, so a loop ends; every read inside its buffer).
 */
function sameName(x: Uint8Array, xo: number, y: Uint8Array, yo: number): boolean {
  for (let steps = 0; steps < 128; steps++) {
    if (xo >= x.length || yo >= y.length) return false;
    const lx = x[xo]!;
    const ly = y[yo]!;
    if (lx >= 0xc0 || ly >= 0xc0) {
      if (lx >= 0xc0) {
        if (xo + 1 >= x.length) return false;
        xo = ((lx & 0x3f) << 8) | x[xo + 1]!;
      }
      if (ly >= 0xc0) {
        if (yo + 1 >= y.length) return false;
        yo = ((ly & 0x3f) << 8) | y[yo + 1]!;
      }
      continue;
    }
    if (lx !== ly || lx >= 64) return false;
    if (lx === 0) return true;
    if (xo + lx >= x.length || yo + lx >= y.length) return false;
    for (let i = 1; i <= lx; i++) if (fold(x[xo + i]!) !== fold(y[yo + i]!)) return false;
    xo += lx + 1;
    yo += lx + 1;
  }
  return false;
}

/**
 * Whether the names written at `x[o]` and `y[o]` are written alike: the
 * same labels (letter case aside) and the same pointer, not followed. The
 * offset after them, or -1.
 */
function sameNameBytes(x: Uint8Array, y: Uint8Array, o: number, end: number): number {
  for (;;) {
    if (o >= end) return -1;
    const l = x[o]!;
    if (l !== y[o]) return -1;
    if (l === 0) return o + 1;
    if (l >= 0xc0) return o + 1 < end && x[o + 1] === y[o + 1] ? o + 2 : -1;
    if (l >= 64 || o + l >= end) return -1;
    for (let i = 1; i <= l; i++) if (fold(x[o + i]!) !== fold(y[o + i]!)) return -1;
    o += l + 1;
  }
}

/**
 * Whether the `count` CNAME records at `x[o…]` and `y[o…]` are written alike
 * but for their TTLs (owners and targets as `sameNameBytes`, type, class and
 * RDATA length byte for byte): then every name in them, and every pointer
 * into them, reads the same in either message.
 */
function sameChainBytes(x: Uint8Array, y: Uint8Array, o: number, count: number): boolean {
  const end = Math.min(x.length, y.length);
  for (let i = 0; i < count; i++) {
    const nameEnd = sameNameBytes(x, y, o, end);
    if (nameEnd < 0 || nameEnd + 10 > end) return false;
    for (let k = 0; k < 4; k++) if (x[nameEnd + k] !== y[nameEnd + k]) return false;
    if (x[nameEnd + 8] !== y[nameEnd + 8] || x[nameEnd + 9] !== y[nameEnd + 9]) return false;
    const rdEnd = nameEnd + 10 + u16(x, nameEnd + 8);
    if (sameNameBytes(x, y, nameEnd + 10, end) !== rdEnd) return false;
    o = rdEnd;
  }
  return true;
}

/**
 * Follows the name at `buf[o]` to its end through every pointer: each must
 * lead strictly back (RFC 1035 §4.1.4: "a prior occurance"), past the
 * header, so the walk ends; labels of at most 63 octets, 255 octets in all,
 * inside `buf[0, end)`. What a client's decoder will do with it.
 */
function nameSound(buf: Uint8Array, o: number, end: number): boolean {
  let total = 0;
  for (;;) {
    if (o >= end) return false;
    const l = buf[o]!;
    if (l === 0) return true;
    if (l < 64) {
      total += l + 1;
      if (total > 254) return false;
      o += l + 1;
      continue;
    }
    if (l < 0xc0 || o + 2 > end) return false;
    const t = ((l & 0x3f) << 8) | buf[o + 1]!;
    if (t < 12 || t >= o) return false;
    o = t;
  }
}

/**
 * For the name at `out[o]` in a section copied from the upstream answer:
 * the compression pointer that ends it, if any, is kept when it points below
 * `keepEnd` (the question, and a CNAME chain that stays where it was), moved
 * by `delta` when it points into the copied sections (at or after `from` in
 * the upstream answer), refused otherwise (into the answer records we
 * replaced, forward, the header). Then the whole name is
 * checked (`nameSound`). The offset after the name, or -1.
 */
function relocateName(out: Uint8Array, o: number, end: number, from: number, delta: number, keepEnd: number, limit: number): number {
  const start = o;
  for (;;) {
    if (o >= end) return -1;
    const l = out[o]!;
    if (l === 0) {
      o += 1;
      break;
    }
    if (l < 64) {
      o += l + 1;
      continue;
    }
    if (l < 0xc0 || o + 2 > end) return -1;
    const t = ((l & 0x3f) << 8) | out[o + 1]!;
    if (t < 12 || t >= keepEnd) {
      // RFC 1035 §4.1.4: a pointer leads back to a prior name (`o - delta` is where this one was in the upstream answer).
      if (t < from || t >= o - delta) return -1;
      const nt = t + delta;
      if (nt > 0x3fff) return -1;
      out[o] = 0xc0 | (nt >> 8);
      out[o + 1] = nt & 0xff;
    }
    o += 2;
    break;
  }
  return nameSound(out, start, limit) ? o : -1;
}

/**
 * Relocates and checks the names of the `count` records at `out[o…]` that
 * were copied from the upstream answer: owners, and the names inside the
 * RDATA of the types that carry names where a decoder looks for them (RFC
 * 3597 §4: NS, CNAME, PTR, MX, SOA may be compressed; DNAME, RRSIG's signer
 * and NSEC's next name are read as names too). Types known to hold no name
 * are copied as they are; any other type gives false (the decoding path
 * handles it). False as well when a name is out of reach or unsound. The
 * message ends at `limit` (our OPT may follow it in `out`).
 */
function relocateRecords(out: Uint8Array, o: number, count: number, from: number, delta: number, keepEnd: number, limit: number): boolean {
  for (let i = 0; i < count; i++) {
    const nameEnd = relocateName(out, o, limit, from, delta, keepEnd, limit);
    if (nameEnd < 0 || nameEnd + 10 > limit) return false;
    const type = u16(out, nameEnd);
    const rd = nameEnd + 10;
    const end = rd + u16(out, nameEnd + 8);
    if (end > limit) return false;
    switch (type) {
      case TYPE.A:
      case TYPE.AAAA:
      case 16: // TXT
      case 43: // DS
      case 48: // DNSKEY
      case 50: // NSEC3
      case 51: // NSEC3PARAM
        break;
      case TYPE.NS:
      case TYPE.CNAME:
      case TYPE.PTR:
      case TYPE.DNAME:
        if (relocateName(out, rd, end, from, delta, keepEnd, limit) !== end) return false;
        break;
      case 15: // MX: preference, exchange
        if (relocateName(out, rd + 2, end, from, delta, keepEnd, limit) !== end) return false;
        break;
      case TYPE.SOA: {
        const r = relocateName(out, rd, end, from, delta, keepEnd, limit);
        if (r < 0 || relocateName(out, r, end, from, delta, keepEnd, limit) !== end - 20) return false;
        break;
      }
      case TYPE.RRSIG: // type covered … key tag (18 octets), signer's name, signature (RFC 4034 §3.1)
        if (rd + 18 >= end || relocateName(out, rd + 18, end, from, delta, keepEnd, limit) < 0) return false;
        break;
      case 47: // NSEC: next domain name, type bit maps (RFC 4034 §4.1)
        if (relocateName(out, rd, end, from, delta, keepEnd, limit) < 0) return false;
        break;
      default:
        return false;
    }
    o = end;
  }
  return true;
}

/**
 * Gives owner names written out in full that equal the question name the
 * client's letter case (its question bytes): with 0x20 the upstream may have
 * echoed our random case into them, and the decoding path wrote such owners
 * as pointers to the client's question. The records at `out[o…]` were
 * checked by `relocateRecords` (the message ends at `limit`).
 */
function clientCaseOwners(out: Uint8Array, o: number, count: number, raw: Uint8Array, qEnd: number, limit: number): void {
  const nameLen = qEnd - 4 - 12;
  for (let i = 0; i < count; i++) {
    if (out[o]! < 64 && o + nameLen <= limit) {
      let same = true;
      for (let k = 0; k < nameLen && same; k++) same = fold(out[o + k]!) === fold(raw[12 + k]!);
      if (same) copyBytes(raw, 12, out, o, nameLen);
    }
    const nameEnd = walkName(out, o, limit, 0);
    o = nameEnd + 10 + u16(out, nameEnd + 8);
  }
}

/** An answer synthesized in place: the wire and the IPv4 addresses embedded, in answer order. */
export interface InPlaceSynthesis {
  readonly wire: Buffer;
  readonly embedded: readonly number[];
}

/** The settings `synthesizeInPlace` needs. */
export interface InPlacePolicy {
  readonly prefix: Nat64Prefix;
  readonly wkpStrict: boolean;
}

/**
 * RFC 6147 §5.1.5–§5.1.7 from the A answer `a` (layout `L`) and the negative
 * AAAA answer `neg` (layout `negL`; undefined after an error counted as
 * empty), when the A answer is a CNAME chain from the query name (each record
 * owned by the previous one's target, none at all being the common case)
 * followed by A records of the chain's end, every one class IN and
 * embeddable under the prefix, and a chain in `neg` is written exactly like
 * it but for the TTLs. The answer: the chain (`neg`'s when it has one, as the
 * decoding path keeps the AAAA answer's records, §5.1.5), one AAAA per A
 * (owner a pointer to the question or to the chain's last target, TTL min(A
 * TTL, `ttlCap`), in the same order), the authority and additional sections
 * of the A answer (§5.4, §5.3.2) with their compression pointers moved, our
 * OPT with EDE 29. An A answer without A records (NODATA, NXDOMAIN, an error)
 * is the basis of the reply (§5.1.6). `ad`: both answers were authenticated
 * and the client asked with DO (§5.5). Undefined when the answers are not for
 * this path.
 */
export function synthesizeInPlace(
  a: Uint8Array, L: AnswerLayout, raw: Uint8Array, q: ParsedQuery, ttlCap: number, negativeAd: boolean, policy: InPlacePolicy,
  neg?: Uint8Array, negL?: AnswerLayout,
): InPlaceSynthesis | undefined {
  const qEnd = q.questionEnd;
  if (L.an > 0 && L.rcode !== RCODE.noError) return undefined;
  // Pass 1: the chain, then every other answer record an embeddable A of the chain's end.
  let o = L.anStart;
  let chain = 0;
  /** Offset of the chain's last target name (the owner of the A records), 0: the query name. */
  let end = 0;
  while (chain < L.an) {
    const nameEnd = walkName(a, o, a.length, 0);
    if (nameEnd < 0 || nameEnd + 10 > a.length || u16(a, nameEnd) !== TYPE.CNAME) break;
    if (u16(a, nameEnd + 2) !== CLASS_IN) return undefined;
    if (end === 0 ? isQuestionName(a, o, qEnd) < 0 : !sameName(a, o, a, end)) return undefined;
    end = nameEnd + 10;
    o = end + u16(a, nameEnd + 8);
    chain++;
  }
  const chainEnd = o;
  const negChain = negL === undefined ? 0 : negL.an;
  if (negChain > 0 && (negChain !== chain || negL!.nsStart !== chainEnd || !sameChainBytes(neg!, a, qEnd, chain))) return undefined;
  // A pointer to the chain's end for the owners: it must be reachable (RFC 1035 §4.1.4: 14 bits).
  if (end > 0x3fff) return undefined;
  for (let i = chain; i < L.an; i++) {
    const nameEnd = end === 0 ? isQuestionName(a, o, qEnd) : sameName(a, o, a, end) ? walkName(a, o, a.length, 0) : -1;
    if (nameEnd < 0 || nameEnd + 14 > a.length) return undefined;
    if (u16(a, nameEnd) !== TYPE.A || u16(a, nameEnd + 2) !== CLASS_IN || u16(a, nameEnd + 8) !== 4) return undefined;
    // RFC 6052 §3.1: the well-known prefix never carries a non-global IPv4 address (counted on the decoding path).
    if (!mayEmbed(policy.prefix, u32(a, nameEnd + 10), policy)) return undefined;
    o = nameEnd + 14;
  }
  if (o !== L.nsStart) return undefined;
  const records = L.an - chain;
  const synthesized = records > 0;
  const opt = optFor(q, synthesized);
  const answerLen = records * 28;
  /** Where the copied authority and additional sections start: after the chain and the AAAA records. */
  const keptStart = chainEnd + answerLen;
  const delta = keptStart - L.nsStart;
  const keptLen = L.bodyEnd - L.nsStart;
  const bodyEnd = keptStart + keptLen;
  const out = Buffer.allocUnsafe(bodyEnd + (opt?.length ?? 0));
  copyBytes(a, L.nsStart, out, keptStart, keptLen);
  copyBytes(raw, 12, out, 12, qEnd - 12);
  if (chain > 0) copyBytes(negChain > 0 ? neg! : a, qEnd, out, qEnd, chainEnd - qEnd);
  // Pass 2: the AAAA records.
  const embedded: number[] = [];
  const owner = end === 0 ? 12 : end;
  o = chainEnd;
  let w = chainEnd;
  for (let i = 0; i < records; i++) {
    const nameEnd = walkName(a, o, a.length, 0);
    const v4 = u32(a, nameEnd + 10);
    const ttl = Math.min(u32(a, nameEnd + 4), ttlCap);
    embedded.push(v4);
    out[w] = 0xc0 | (owner >> 8);
    out[w + 1] = owner & 0xff;
    out[w + 2] = 0;
    out[w + 3] = TYPE.AAAA;
    out[w + 4] = 0;
    out[w + 5] = CLASS_IN;
    out[w + 6] = ttl >>> 24;
    out[w + 7] = (ttl >>> 16) & 0xff;
    out[w + 8] = (ttl >>> 8) & 0xff;
    out[w + 9] = ttl & 0xff;
    out[w + 10] = 0;
    out[w + 11] = 16;
    embedIpv4(policy.prefix, v4, out, w + 12);
    w += 28;
    o = nameEnd + 14;
  }
  // The chain in place (nothing moves); then the copied sections, whose pointers may also lead into the chain, written alike in both answers.
  if (chain > 0 && !relocateRecords(out, qEnd, chain, qEnd, 0, qEnd, bodyEnd)) return undefined;
  if (!relocateRecords(out, keptStart, L.ns + L.ar, L.nsStart, delta, chainEnd, bodyEnd)) return undefined;
  clientCaseOwners(out, qEnd, chain, raw, qEnd, bodyEnd);
  clientCaseOwners(out, keptStart, L.ns + L.ar, raw, qEnd, bodyEnd);
  const ad = synthesized && negativeAd && L.ad && q.edns?.dnssecOk === true;
  writeHeader(out, q, flagsFor(q, synthesized ? RCODE.noError : L.rcode, ad), L.an, L.ns, L.ar + (opt === undefined ? 0 : 1));
  if (opt !== undefined) copyBytes(opt, 0, out, bodyEnd, opt.length);
  return { wire: out, embedded };
}
