/**
 * A tiny authoritative DNS responder for the lab's one zone: the upstream
 * sixgate's DNS64 asks. It answers A for the configured names, NODATA (with
 * the zone's SOA, so DNS64 can take the negative TTL, RFC 6147 §5.1.7) for
 * every other type of those names, NXDOMAIN for other names in the zone and
 * REFUSED outside it. It only needs to be correct for well-formed queries and
 * harmless for everything else: a malformed query gets FORMERR when its
 * header can be echoed and is dropped otherwise (never a throw).
 * Wire format: RFC 1035 §4.1; no name compression in queries is accepted.
 */

/** The zone: its apex and the A records it holds (lower-case names, no trailing dot). */
export interface LabZone {
  readonly apex: string;
  readonly records: Readonly<Record<string, string>>;
  /** TTL of A answers and the SOA MINIMUM (negative TTL), seconds. */
  readonly ttl: number;
}

const TYPE = { A: 1, NS: 2, SOA: 6, AAAA: 28, ANY: 255 } as const;
const CLASS_IN = 1;
const RCODE = { NOERROR: 0, FORMERR: 1, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const HEADER_LEN = 12;

interface Question {
  readonly name: string;
  readonly type: number;
  readonly qclass: number;
  /** Offset just past QTYPE/QCLASS. */
  readonly end: number;
}

/** RFC 1035 §4.1.2: the question, or null when it is malformed. */
function parseQuestion(msg: Uint8Array): Question | null {
  const labels: string[] = [];
  let off = HEADER_LEN;
  let total = 0;
  for (;;) {
    const len = msg[off];
    if (len === undefined) return null;
    off += 1;
    if (len === 0) break;
    // §4.1.4: 0b11 is a compression pointer, 0b01/0b10 are reserved; neither belongs in a question here.
    if (len > 63) return null;
    total += len + 1;
    if (total > 254 || off + len > msg.length) return null;
    labels.push(Buffer.from(msg.subarray(off, off + len)).toString('latin1').toLowerCase());
    off += len;
  }
  if (off + 4 > msg.length) return null;
  const type = (msg[off]! << 8) | msg[off + 1]!;
  const qclass = (msg[off + 2]! << 8) | msg[off + 3]!;
  return { name: labels.join('.'), type, qclass, end: off + 4 };
}

const encodeName = (name: string): number[] => {
  const out: number[] = [];
  for (const label of name.split('.').filter(Boolean)) out.push(label.length, ...Buffer.from(label, 'latin1'));
  out.push(0);
  return out;
};

const u16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
const u32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

function soaRecord(zone: LabZone): number[] {
  const rdata = [
    ...encodeName(`ns.${zone.apex}`),
    ...encodeName(`hostmaster.${zone.apex}`),
    ...u32(1), // serial
    ...u32(3600), // refresh
    ...u32(600), // retry
    ...u32(86400), // expire
    ...u32(zone.ttl), // minimum: the negative-caching TTL (RFC 2308 §4)
  ];
  return [...encodeName(zone.apex), ...u16(TYPE.SOA), ...u16(CLASS_IN), ...u32(zone.ttl), ...u16(rdata.length), ...rdata];
}

function aRecord(v4: string, ttl: number): number[] {
  const octets = v4.split('.').map(Number);
  // 0xc00c: a compression pointer to the question name at offset 12.
  return [0xc0, 0x0c, ...u16(TYPE.A), ...u16(CLASS_IN), ...u32(ttl), ...u16(4), ...octets];
}

const inZone = (name: string, apex: string): boolean => name === apex || name.endsWith(`.${apex}`);

/** Builds a reply header: ID and RD echoed, QR and AA set, counts given. */
function header(query: Uint8Array, rcode: number, counts: readonly [number, number, number, number]): number[] {
  const rd = query[2]! & 0x01;
  const flags1 = 0x80 | 0x04 | rd; // QR, AA, RD echoed (RFC 1035 §4.1.1)
  return [query[0]!, query[1]!, flags1, rcode & 0x0f, ...counts.flatMap(u16)];
}

/**
 * The reply to one query message, or null to drop it (shorter than a header,
 * or itself a response).
 */
export function answerQuery(query: Uint8Array, zone: LabZone): Uint8Array | null {
  if (query.length < HEADER_LEN) return null;
  if ((query[2]! & 0x80) !== 0) return null; // a response: never answer one (loops)
  const opcode = (query[2]! >> 3) & 0x0f;
  const qdcount = (query[4]! << 8) | query[5]!;
  if (opcode !== 0) return Uint8Array.from(header(query, RCODE.NOTIMP, [0, 0, 0, 0]));
  const q = qdcount === 1 ? parseQuestion(query) : null;
  if (!q) return Uint8Array.from(header(query, RCODE.FORMERR, [0, 0, 0, 0]));
  const question = Array.from(query.subarray(HEADER_LEN, q.end));
  const reply = (rcode: number, answers: number[][], authority: number[][]): Uint8Array =>
    Uint8Array.from([...header(query, rcode, [1, answers.length, authority.length, 0]), ...question, ...answers.flat(), ...authority.flat()]);

  if (q.qclass !== CLASS_IN || !inZone(q.name, zone.apex)) return reply(RCODE.REFUSED, [], []);
  const v4 = zone.records[q.name];
  if (v4 === undefined) return reply(RCODE.NXDOMAIN, [], [soaRecord(zone)]);
  if (q.type === TYPE.A || q.type === TYPE.ANY) return reply(RCODE.NOERROR, [aRecord(v4, zone.ttl)], []);
  if (q.type === TYPE.SOA && q.name === zone.apex) return reply(RCODE.NOERROR, [soaRecord(zone)], []);
  // NODATA (RFC 2308 §2.2): NOERROR, no answer, the SOA in authority. For AAAA this is what makes DNS64 synthesize.
  return reply(RCODE.NOERROR, [], [soaRecord(zone)]);
}
