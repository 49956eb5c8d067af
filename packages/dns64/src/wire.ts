/**
 * Minimal DNS wire helpers (RFC 1035 §4.1) for the hot path: parse a query's
 * header, question and OPT record without allocating a full message, walk the
 * resource records of a response (TTL offsets for the cache, OPT removal), and
 * build small error responses. Every function is bounded by the buffer length
 * and never throws on untrusted bytes: errors come back as values.
 */

/** Header flag bits (RFC 1035 §4.1.1, RFC 4035 §3.2 for AD/CD). */
export const FLAG = {
  qr: 0x8000,
  aa: 0x0400,
  tc: 0x0200,
  rd: 0x0100,
  ra: 0x0080,
  ad: 0x0020,
  cd: 0x0010,
} as const;

/** RCODE values used here (RFC 1035 §4.1.1, RFC 6891 §9 for BADVERS). */
export const RCODE = { noError: 0, formErr: 1, servFail: 2, nxDomain: 3, notImp: 4, refused: 5, badVers: 16 } as const;

/** Record types and classes used by name. */
export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, AAAA: 28, DNAME: 39, OPT: 41, RRSIG: 46, ANY: 255 } as const;
export const CLASS_IN = 1;

/** EDNS(0) data of a query's OPT record (RFC 6891 §6.1.3). */
export interface EdnsInfo {
  readonly udpSize: number;
  readonly version: number;
  readonly dnssecOk: boolean;
}

/** A query as the server needs it. `qname` is lower case, without trailing dot ('' for the root). */
export interface ParsedQuery {
  readonly id: number;
  readonly flags: number;
  readonly opcode: number;
  readonly qname: string;
  readonly qtype: number;
  readonly qclass: number;
  /** Offset just after the question (12 + qname length + 4). */
  readonly questionEnd: number;
  readonly edns: EdnsInfo | undefined;
  readonly rd: boolean;
  readonly cd: boolean;
}

/** Why a query could not be parsed: `drop` (no usable header) or an rcode to answer with. */
export type QueryProblem =
  | { readonly kind: 'drop'; readonly reason: 'short' | 'response' }
  | { readonly kind: 'error'; readonly id: number; readonly flags: number; readonly rcode: number; readonly reason: string };

import { NO_POINTERS, nameText, walkName } from './name-walk.js';

const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const u32 = (b: Uint8Array, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

/** Finds the OPT record among the records after the question; undefined if none, null if malformed. */
function findOpt(buf: Uint8Array, start: number, count: number): EdnsInfo | undefined | null {
  let o = start;
  let found: EdnsInfo | undefined;
  for (let i = 0; i < count; i++) {
    const nameEnd = walkName(buf, o, buf.length, 0);
    if (nameEnd < 0 || nameEnd + 10 > buf.length) return null;
    const type = u16(buf, nameEnd);
    const rdlen = u16(buf, nameEnd + 8);
    if (nameEnd + 10 + rdlen > buf.length) return null;
    if (type === TYPE.OPT) {
      // RFC 6891 §6.1.1: at most one OPT, owner is the root.
      if (found !== undefined || nameEnd !== o + 1) return null;
      found = { udpSize: Math.max(512, u16(buf, nameEnd + 2)), version: buf[nameEnd + 5]!, dnssecOk: (buf[nameEnd + 6]! & 0x80) !== 0 };
    }
    o = nameEnd + 10 + rdlen;
  }
  return found;
}

/** Parses a query from a client. Never throws. */
export function parseQuery(buf: Uint8Array): ParsedQuery | QueryProblem {
  if (buf.length < 12) return { kind: 'drop', reason: 'short' };
  const id = u16(buf, 0);
  const flags = u16(buf, 2);
  // Never answer a response: that would let two servers ping-pong forever.
  if (flags & FLAG.qr) return { kind: 'drop', reason: 'response' };
  const opcode = (flags >> 11) & 0xf;
  const bad = (rcode: number, reason: string): QueryProblem => ({ kind: 'error', id, flags, rcode, reason });
  if (opcode !== 0) return bad(RCODE.notImp, 'opcode');
  if (u16(buf, 4) !== 1) return bad(RCODE.formErr, 'qdcount');
  // A question is the first name in a message: nothing before it to point to.
  const qEnd = walkName(buf, 12, buf.length, NO_POINTERS);
  if (qEnd < 0 || qEnd + 4 > buf.length) return bad(RCODE.formErr, 'question');
  const qtype = u16(buf, qEnd);
  const qclass = u16(buf, qEnd + 2);
  const rest = u16(buf, 6) + u16(buf, 8) + u16(buf, 10);
  const edns = findOpt(buf, qEnd + 4, rest);
  if (edns === null) return bad(RCODE.formErr, 'records');
  return {
    id, flags, opcode, qname: nameText(buf, 12, qEnd), qtype, qclass, questionEnd: qEnd + 4, edns,
    rd: (flags & FLAG.rd) !== 0, cd: (flags & FLAG.cd) !== 0,
  };
}

/**
 * What besides the question selects a different cached answer: no EDNS,
 * EDNS, EDNS with DO (the OPT record, EDE and RRSIGs differ), and CD (RFC
 * 6147 §5.5: no synthesis). 0–5.
 */
export function cacheVariant(edns: boolean, dnssecOk: boolean, cd: boolean): number {
  return (edns ? (dnssecOk ? 4 : 2) : 0) | (cd ? 1 : 0);
}

/** What `probeQuery` learned about a query. One instance is reused, so probing allocates nothing. */
export class QueryProbe {
  /** Bytes of the question (name, type, class); it starts at offset 12 of the query. */
  qLen = 0;
  /** `cacheVariant` of the query (EDNS, DO, CD). */
  variant = 0;
  /** The largest UDP answer the client takes: 512 without EDNS, else its buffer size, at most 1232 (RFC 6891 §6.2.5). */
  udpLimit = 512;
}

/** Largest UDP answer we send (the payload size we advertise, DNS flag day 2020). */
export const MAX_UDP_ANSWER = 1232;

/**
 * The cache-hit fast path's reading of a query at `buf[off, off+len)`,
 * straight from the wire: true (and `p` filled) only for an ordinary query —
 * QR=0, opcode QUERY, QDCOUNT 1, an uncompressed name of valid labels (RFC
 * 1035 §2.3.4, §4.1.2), no answer or authority records, and either no
 * additional record or exactly one root-owned OPT of EDNS version 0 (RFC 6891
 * §6.1). Everything else (malformed, BADVERS, other records) gives false and
 * goes to `parseQuery`, which accepts whatever this accepts with the same
 * meaning. Never throws, allocates nothing.
 */
export function probeQuery(buf: Uint8Array, off: number, len: number, p: QueryProbe): boolean {
  const end = off + len;
  // Header 12 + root name 1 + type and class 4; QR and opcode 0 (byte 2, top five bits).
  if (len < 17 || end > buf.length || (buf[off + 2]! & 0xf8) !== 0) return false;
  // QDCOUNT 1, ANCOUNT 0, NSCOUNT 0, ARCOUNT 0 or 1.
  if (buf[off + 4] !== 0 || buf[off + 5] !== 1 || buf[off + 6] !== 0 || buf[off + 7] !== 0
    || buf[off + 8] !== 0 || buf[off + 9] !== 0 || buf[off + 10] !== 0 || buf[off + 11]! > 1) return false;
  const qStart = off + 12;
  // Nothing precedes the question to point to: no compression pointers.
  const o = walkName(buf, qStart, end, NO_POINTERS);
  if (o < 0) return false;
  const qEnd = o + 4;
  if (qEnd > end) return false;
  const cd = (buf[off + 3]! & (FLAG.cd & 0xff)) !== 0;
  if (buf[off + 11] === 0) {
    p.variant = cacheVariant(false, false, cd);
    p.udpLimit = 512;
  } else {
    // OPT: owner root (1), TYPE (2), CLASS = UDP size (2), extended RCODE (1), VERSION (1), flags (2, DO on top), RDLEN (2).
    if (qEnd + 11 > end || buf[qEnd] !== 0 || buf[qEnd + 1] !== 0 || buf[qEnd + 2] !== TYPE.OPT || buf[qEnd + 6] !== 0) return false;
    if (qEnd + 11 + u16(buf, qEnd + 9) > end) return false;
    const size = u16(buf, qEnd + 3);
    p.variant = cacheVariant(true, (buf[qEnd + 7]! & 0x80) !== 0, cd);
    p.udpLimit = size > MAX_UDP_ANSWER ? MAX_UDP_ANSWER : size < 512 ? 512 : size;
  }
  p.qLen = qEnd - qStart;
  return true;
}

/** One resource record's layout in a message. */
export interface RecordSpan {
  readonly start: number;
  readonly type: number;
  readonly ttlOffset: number;
  readonly end: number;
  readonly section: 1 | 2 | 3;
}

/** Walks every record of a message; undefined when the message is malformed. */
export function walkRecords(buf: Uint8Array): RecordSpan[] | undefined {
  if (buf.length < 12) return undefined;
  let o = 12;
  for (let i = u16(buf, 4); i > 0; i--) {
    o = walkName(buf, o, buf.length, 0);
    if (o < 0 || o + 4 > buf.length) return undefined;
    o += 4;
  }
  const out: RecordSpan[] = [];
  const counts = [u16(buf, 6), u16(buf, 8), u16(buf, 10)];
  for (let s = 0; s < 3; s++) {
    for (let i = counts[s]!; i > 0; i--) {
      const nameEnd = walkName(buf, o, buf.length, 0);
      if (nameEnd < 0 || nameEnd + 10 > buf.length) return undefined;
      const end = nameEnd + 10 + u16(buf, nameEnd + 8);
      if (end > buf.length) return undefined;
      out.push({ start: o, type: u16(buf, nameEnd), ttlOffset: nameEnd + 4, end, section: (s + 1) as 1 | 2 | 3 });
      o = end;
    }
  }
  return out;
}

/**
 * Copies `src[srcOff, srcOff+len)` to `dst[dstOff…]`. DNS messages are short:
 * up to 512 bytes a loop beats the native copy's call cost.
 */
export function copyBytes(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, len: number): void {
  if (len <= 512) for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i]!;
  else dst.set(src.subarray(srcOff, srcOff + len), dstOff);
}

/**
 * `src[off, off+len)` in a buffer of its own (from Node's pool when small):
 * one object, no view of `src` in between. For bytes that outlive a reused
 * arena (a query that missed, an upstream answer).
 */
export function ownCopy(src: Uint8Array, off: number, len: number): Buffer {
  const out = Buffer.allocUnsafe(len);
  copyBytes(src, off, out, 0, len);
  return out;
}

/** Reads the 32-bit TTL at `off`. */
export function readTtl(buf: Uint8Array, off: number): number {
  return u32(buf, off);
}

/** Encodes an OPT record (RFC 6891 §6.1.2) with optional EDE (RFC 8914 §2). */
export function encodeOpt(udpSize: number, dnssecOk: boolean, extRcode = 0, ede?: number): Buffer {
  const opt = Buffer.alloc(11 + (ede === undefined ? 0 : 6));
  opt.writeUInt16BE(TYPE.OPT, 1);
  opt.writeUInt16BE(udpSize, 3);
  opt[5] = extRcode;
  opt.writeUInt16BE(dnssecOk ? 0x8000 : 0, 7);
  if (ede !== undefined) {
    opt.writeUInt16BE(6, 9);
    opt.writeUInt16BE(15, 11); // EDE option code
    opt.writeUInt16BE(2, 13);
    opt.writeUInt16BE(ede, 15);
  }
  return opt;
}

/**
 * Builds a response carrying only the header, the query's question (when it
 * parsed) and an OPT record when the client sent EDNS: for errors (FORMERR,
 * REFUSED, SERVFAIL, BADVERS) and for truncated UDP answers (TC set).
 */
export function headerOnlyResponse(query: Uint8Array, q: ParsedQuery | undefined, rcode: number, extraFlags = 0): Buffer {
  const qlen = q === undefined ? 0 : q.questionEnd - 12;
  const opt = q?.edns === undefined ? undefined : encodeOpt(1232, q.edns.dnssecOk, rcode >> 4);
  const out = Buffer.alloc(12 + qlen + (opt?.length ?? 0));
  out[0] = query[0] ?? 0;
  out[1] = query[1] ?? 0;
  const qflags = u16(query, 2);
  // RD and CD are copied from the query (RFC 1035 §4.1.1, RFC 4035 §3.1.6); opcode too.
  out.writeUInt16BE(FLAG.qr | FLAG.ra | (qflags & (0x7800 | FLAG.rd | FLAG.cd)) | extraFlags | (rcode & 0xf), 2);
  if (q !== undefined) {
    out.writeUInt16BE(1, 4);
    out.set(query.subarray(12, q.questionEnd), 12);
  }
  if (opt !== undefined) {
    out.writeUInt16BE(1, 10);
    out.set(opt, 12 + qlen);
  }
  return out;
}

/**
 * `headerOnlyResponse` written in place for a query that `probeQuery`
 * accepted (`p` filled): header, question and an OPT record when the query
 * had one, into `out[outOff…]`; returns the length, or 0 when it does not fit
 * `outCap`. The same bytes as `headerOnlyResponse(query, parseQuery(query),
 * rcode, extraFlags)`, without allocating (the rate limiter's answers).
 */
export function headerOnlyInto(query: Uint8Array, off: number, p: QueryProbe, rcode: number, extraFlags: number, out: Uint8Array, outOff: number, outCap: number): number {
  const edns = (p.variant & 6) !== 0;
  const len = 12 + p.qLen + (edns ? 11 : 0);
  if (len > outCap) return 0;
  out[outOff] = query[off]!;
  out[outOff + 1] = query[off + 1]!;
  const flags = FLAG.qr | FLAG.ra | (u16(query, off + 2) & (0x7800 | FLAG.rd | FLAG.cd)) | extraFlags | (rcode & 0xf);
  out[outOff + 2] = flags >> 8;
  out[outOff + 3] = flags & 0xff;
  out[outOff + 4] = 0;
  out[outOff + 5] = 1;
  for (let i = 6; i < 12; i++) out[outOff + i] = 0;
  for (let i = 12; i < 12 + p.qLen; i++) out[outOff + i] = query[off + i]!;
  if (edns) {
    out[outOff + 11] = 1;
    const o = outOff + 12 + p.qLen;
    // OPT (RFC 6891 §6.1.2): root owner, TYPE 41, our UDP size, extended RCODE, version 0, DO as asked, no options.
    out[o] = 0;
    out[o + 1] = 0;
    out[o + 2] = TYPE.OPT;
    out[o + 3] = EDNS_SIZE >> 8;
    out[o + 4] = EDNS_SIZE & 0xff;
    out[o + 5] = rcode >> 4;
    out[o + 6] = 0;
    out[o + 7] = (p.variant & 4) !== 0 ? 0x80 : 0;
    out[o + 8] = 0;
    out[o + 9] = 0;
    out[o + 10] = 0;
  }
  return len;
}

const EDNS_SIZE = 1232;

/**
 * Removes the OPT record of an upstream response and appends `opt` (or none),
 * keeping every other byte as the upstream sent it. Returns undefined when the
 * OPT is not the last record (a later record might point into it; the caller
 * then re-encodes instead).
 */
export function replaceOpt(buf: Buffer, spans: readonly RecordSpan[], opt: Buffer | undefined): Buffer | undefined {
  const idx = spans.findIndex((s) => s.type === TYPE.OPT && s.section === 3);
  let body = buf;
  let arcount = u16(buf, 10);
  if (idx >= 0) {
    if (idx !== spans.length - 1) return undefined;
    body = buf.subarray(0, spans[idx]!.start);
    arcount--;
  }
  const out = Buffer.allocUnsafe(body.length + (opt?.length ?? 0));
  body.copy(out, 0);
  if (opt !== undefined) {
    opt.copy(out, body.length);
    arcount++;
  }
  out.writeUInt16BE(arcount, 10);
  return out;
}

/**
 * Encodes a presentation name as produced by `parseQuery` (lower case, `\DDD`
 * escapes for unusual bytes, '' for the root) into wire labels.
 */
export function encodeName(name: string): Buffer {
  const out = Buffer.allocUnsafe(name.length + 2);
  return out.subarray(0, encodeNameInto(name, out, 0));
}

/** Whether `name[i..i+3]` are three decimal digits (the DDD of a `\DDD` escape). */
function isDdd(name: string, i: number): boolean {
  for (let k = i; k < i + 3; k++) {
    const c = name.charCodeAt(k);
    if (!(c >= 0x30 && c <= 0x39)) return false;
  }
  return true;
}

/**
 * `encodeName` into `out` at `off` (needs name.length + 2 bytes: every
 * character gives at most one byte, plus the first length and the root);
 * returns the offset after the name.
 */
export function encodeNameInto(name: string, out: Uint8Array, off: number): number {
  if (name === '') {
    out[off] = 0;
    return off + 1;
  }
  let lenAt = off;
  let o = off + 1;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x5c && isDdd(name, i + 1)) {
      out[o++] = Number(name.slice(i + 1, i + 4)) & 0xff;
      i += 3;
    } else if (c === 0x2e) {
      out[lenAt] = o - lenAt - 1;
      lenAt = o++;
    } else {
      out[o++] = c & 0xff;
    }
  }
  out[lenAt] = o - lenAt - 1;
  out[o++] = 0;
  return o;
}

/** Key (presentation text) and end of the uncompressed name at `off`; undefined when compressed or invalid. */
function plainName(buf: Uint8Array, off: number): { key: string; end: number } | undefined {
  const end = walkName(buf, off, buf.length, NO_POINTERS);
  return end < 0 ? undefined : { key: nameText(buf, off, end), end };
}

/**
 * Compresses record owner names (RFC 1035 §4.1.4) of a message we encoded
 * ourselves: an owner equal to the question name or to an earlier owner
 * becomes a pointer. RDATA is copied unchanged, so it must not contain
 * pointers into the rewritten area (dns-packet never emits any).
 */
export function compressOwners(buf: Buffer): Buffer {
  const spans = walkRecords(buf);
  if (spans === undefined || spans.length === 0 || u16(buf, 4) !== 1) return buf;
  const seen = new Map<string, number>();
  const q = plainName(buf, 12);
  if (q === undefined) return buf;
  seen.set(q.key, 12);
  const first = spans[0]!.start;
  const parts: Uint8Array[] = [buf.subarray(0, first)];
  let outLen = first;
  for (const s of spans) {
    const owner = plainName(buf, s.start);
    const at = owner === undefined || owner.key === '' ? undefined : seen.get(owner.key);
    if (owner !== undefined && at !== undefined && at < 0x3fff) {
      parts.push(Uint8Array.of(0xc0 | (at >> 8), at & 0xff), buf.subarray(owner.end, s.end));
      outLen += 2 + s.end - owner.end;
    } else {
      if (owner !== undefined && owner.key !== '') seen.set(owner.key, outLen);
      parts.push(buf.subarray(s.start, s.end));
      outLen += s.end - s.start;
    }
  }
  return Buffer.concat(parts, outLen);
}
