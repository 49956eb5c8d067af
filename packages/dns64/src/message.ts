/**
 * dns-packet glue: safe decode of upstream answers, the small record helpers
 * the synthesis rules need, and encoding of a response whose question is the
 * client's original question bytes (RFC 6147 §5.4: "the question section is
 * copied from the original query").
 */
import dnsPacket, { type Answer, type DecodedPacket } from 'dns-packet';
import { FLAG, compressOwners, type ParsedQuery } from './wire.js';

/** A resource record as dns-packet gives it. */
export type Rr = Answer & { ttl?: number; class?: string; data?: unknown };

/** A response under construction: header flags (with rcode in the low 4 bits) and three sections. */
export interface ResponseDraft {
  flags: number;
  answers: Rr[];
  authorities: Rr[];
  additionals: Rr[];
}

/** Decodes a message; undefined instead of throwing on malformed bytes. */
export function decodeMessage(buf: Buffer): DecodedPacket | undefined {
  try {
    return dnsPacket.decode(buf);
  } catch {
    return undefined;
  }
}

/** The 4-bit RCODE of a decoded message. */
export function rcodeOf(p: DecodedPacket): number {
  return (p.flags ?? 0) & 0xf;
}

/** Records of a section without the OPT pseudo-record. */
export function withoutOpt(list: readonly Answer[] | undefined): Rr[] {
  return (list ?? []).filter((r) => r.type !== 'OPT') as Rr[];
}

/** The SOA of a negative answer's authority section, if any. */
export function soaOf(p: DecodedPacket | undefined): { ttl: number; minimum: number } | undefined {
  for (const r of p?.authorities ?? []) {
    if (r.type === 'SOA') return { ttl: r.ttl ?? 0, minimum: r.data.minimum ?? 0 };
  }
  return undefined;
}

/** Flags of a response to `q`: QR, RA, RD/CD/opcode copied from the query. */
export function responseFlags(q: ParsedQuery, rcode: number, ad = false): number {
  return FLAG.qr | FLAG.ra | (q.flags & (0x7800 | FLAG.rd | FLAG.cd)) | (ad ? FLAG.ad : 0) | (rcode & 0xf);
}

/**
 * Encodes `draft` as a response to the query in `raw`: header, the query's
 * own question bytes, the sections, then `opt` (already encoded) if given.
 */
export function encodeResponse(draft: ResponseDraft, raw: Uint8Array, q: ParsedQuery, opt?: Buffer): Buffer {
  const body = dnsPacket.encode({
    type: 'response',
    id: q.id,
    flags: draft.flags & 0x7fff,
    questions: [],
    answers: draft.answers as Answer[],
    authorities: draft.authorities as Answer[],
    additionals: draft.additionals as Answer[],
  });
  const qlen = q.questionEnd - 12;
  const out = Buffer.allocUnsafe(body.length + qlen + (opt?.length ?? 0));
  body.copy(out, 0, 0, 12);
  out.set(raw.subarray(12, q.questionEnd), 12);
  body.copy(out, 12 + qlen, 12);
  out.writeUInt16BE(draft.flags | FLAG.qr, 2);
  out.writeUInt16BE(1, 4);
  if (opt !== undefined) {
    opt.copy(out, body.length + qlen);
    out.writeUInt16BE(draft.additionals.length + 1, 10);
  }
  return compressOwners(out);
}
