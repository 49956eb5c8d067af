/**
 * TCP header (RFC 9293 §3.1) view, repr and options walk (MSS read/rewrite for
 * MSS clamping). The checksum covers a pseudo-header whose partial sum the
 * caller passes in; the segment length is the view's `len` (TCP has no length
 * field: it comes from the IP layer).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |       |C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 * |       |       |R|E|G|K|H|T|N|N|                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           [Options]                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 */
import { setU16, setU32, setU8, u16, u32, u8 } from './bytes.js';
import { adjust, finish, sum, update16, update32 } from './checksum.js';
import { WIRE_ERROR, type WireError } from './errors.js';
import { HeaderView } from './view.js';

const F = {
  SRC_PORT: 0,
  DST_PORT: 2,
  SEQ_NUM: 4,
  ACK_NUM: 8,
  DATA_OFF: 12,
  FLAGS: 13,
  WINDOW: 14,
  CHECKSUM: 16,
  URGENT: 18,
  OPTIONS: 20,
} as const;

/** Length of a TCP header without options (20). */
export const TCP_HEADER_LEN = F.URGENT + 2;

/** TCP flag bits of the flags octet (byte 13). */
export const TCP_FLAG = Object.freeze({
  /** No more data from sender. */
  FIN: 0x01,
  /** Synchronize sequence numbers. */
  SYN: 0x02,
  /** Reset the connection. */
  RST: 0x04,
  /** Push function. */
  PSH: 0x08,
  /** Acknowledgment field is significant. */
  ACK: 0x10,
  /** Urgent pointer field is significant. */
  URG: 0x20,
  /** ECN-Echo (RFC 3168). */
  ECE: 0x40,
  /** Congestion Window Reduced (RFC 3168). */
  CWR: 0x80,
} as const);

/** TCP option kinds (IANA tcp-parameters); unknown kinds stay numbers. */
export const TCP_OPTION = Object.freeze({
  /** End of Option List. */
  EOL: 0,
  /** No-Operation. */
  NOP: 1,
  /** Maximum Segment Size (length 4). */
  MSS: 2,
  /** Window Scale (RFC 7323). */
  WINDOW_SCALE: 3,
  /** SACK Permitted (RFC 2018). */
  SACK_PERMITTED: 4,
  /** SACK (RFC 2018). */
  SACK: 5,
  /** Timestamps (RFC 7323). */
  TIMESTAMPS: 8,
} as const);

/** `mssOffset()` result: no MSS option. */
export const TCP_NO_MSS = -1;
/** `mssOffset()` result: the options are malformed. */
export const TCP_OPTIONS_MALFORMED = -2;

/**
 * A view over a TCP header at `off`; `len` is the segment length (header +
 * data, from the IP layer). The `…UpdatingChecksum` setters fix the checksum
 * incrementally (RFC 1624).
 */
export class TcpHeader extends HeaderView {
  /**
   * Validates untrusted bytes `buf[off, off+len)` (`len` = IP payload length):
   * len ≥ 20, 20 ≤ Data Offset × 4 ≤ len. The checksum is not verified here
   * (it needs the pseudo-header): call `verifyChecksum(pseudoSum)`. Returns
   * `into` (re-pointed) or a new view, or a `WireError`. Never throws. Setter
   * that invalidates a check: `headerLength`.
   */
  static check(buf: Uint8Array, off = 0, len = buf.length - off, into?: TcpHeader): TcpHeader | WireError {
    if (!(off >= 0 && len >= TCP_HEADER_LEN && off + len <= buf.length)) return WIRE_ERROR.truncated;
    const hl = (buf[off + F.DATA_OFF]! >>> 4) << 2;
    if (hl < TCP_HEADER_LEN || hl > len) return WIRE_ERROR['bad-header-length'];
    return into === undefined ? new TcpHeader(buf, off, len) : into.reset(buf, off, len);
  }

  /** Source Port. */
  get srcPort(): number {
    return u16(this.buf, this.off + F.SRC_PORT);
  }
  /** Sets Source Port. */
  set srcPort(v: number) {
    setU16(this.buf, this.off + F.SRC_PORT, v);
  }

  /** Destination Port. */
  get dstPort(): number {
    return u16(this.buf, this.off + F.DST_PORT);
  }
  /** Sets Destination Port. */
  set dstPort(v: number) {
    setU16(this.buf, this.off + F.DST_PORT, v);
  }

  /** Sequence Number (uint32). */
  get seqNumber(): number {
    return u32(this.buf, this.off + F.SEQ_NUM);
  }
  /** Sets Sequence Number. */
  set seqNumber(v: number) {
    setU32(this.buf, this.off + F.SEQ_NUM, v);
  }

  /** Acknowledgment Number (uint32). */
  get ackNumber(): number {
    return u32(this.buf, this.off + F.ACK_NUM);
  }
  /** Sets Acknowledgment Number. */
  set ackNumber(v: number) {
    setU32(this.buf, this.off + F.ACK_NUM, v);
  }

  /** Header length in bytes (Data Offset × 4). */
  get headerLength(): number {
    return (u8(this.buf, this.off + F.DATA_OFF) >>> 4) << 2;
  }
  /** Sets the header length in bytes (rounded down to 4; reserved bits cleared); invalidates `check()`. */
  set headerLength(v: number) {
    setU8(this.buf, this.off + F.DATA_OFF, ((v >>> 2) & 0xf) << 4);
  }

  /** The flags octet (see `TCP_FLAG`). */
  get flags(): number {
    return u8(this.buf, this.off + F.FLAGS);
  }
  /** Sets the flags octet. */
  set flags(v: number) {
    setU8(this.buf, this.off + F.FLAGS, v);
  }

  /** FIN flag. */
  get fin(): boolean {
    return (this.flags & TCP_FLAG.FIN) !== 0;
  }
  /** SYN flag. */
  get syn(): boolean {
    return (this.flags & TCP_FLAG.SYN) !== 0;
  }
  /** RST flag. */
  get rst(): boolean {
    return (this.flags & TCP_FLAG.RST) !== 0;
  }
  /** PSH flag. */
  get psh(): boolean {
    return (this.flags & TCP_FLAG.PSH) !== 0;
  }
  /** ACK flag. */
  get ack(): boolean {
    return (this.flags & TCP_FLAG.ACK) !== 0;
  }
  /** URG flag. */
  get urg(): boolean {
    return (this.flags & TCP_FLAG.URG) !== 0;
  }

  /** Window. */
  get window(): number {
    return u16(this.buf, this.off + F.WINDOW);
  }
  /** Sets Window. */
  set window(v: number) {
    setU16(this.buf, this.off + F.WINDOW, v);
  }

  /** Checksum field. */
  get checksum(): number {
    return u16(this.buf, this.off + F.CHECKSUM);
  }
  /** Sets the Checksum field. */
  set checksum(v: number) {
    setU16(this.buf, this.off + F.CHECKSUM, v);
  }

  /** Urgent Pointer. */
  get urgentPointer(): number {
    return u16(this.buf, this.off + F.URGENT);
  }
  /** Sets Urgent Pointer. */
  set urgentPointer(v: number) {
    setU16(this.buf, this.off + F.URGENT, v);
  }

  /** Absolute offset in `buf` of the data. */
  get payloadOffset(): number {
    return this.off + this.headerLength;
  }

  /** The options bytes (subarray, may be empty). */
  options(): Uint8Array {
    return this.buf.subarray(this.off + F.OPTIONS, this.off + this.headerLength);
  }

  /** The data after the header up to `len` (subarray, no copy). */
  payload(): Uint8Array {
    return this.buf.subarray(this.off + this.headerLength, this.off + this.len);
  }

  /** The checksum over pseudo-header partial sum `pseudoSum` and the segment (checksum field as zero). */
  computeChecksum(pseudoSum: number): number {
    const o = this.off;
    return finish(sum(this.buf, o + F.CHECKSUM + 2, o + this.len, sum(this.buf, o, o + F.CHECKSUM, pseudoSum)));
  }
  /** Computes and stores the checksum. */
  fillChecksum(pseudoSum: number): void {
    this.checksum = this.computeChecksum(pseudoSum);
  }
  /** Whether the checksum verifies with pseudo-header partial sum `pseudoSum`. */
  verifyChecksum(pseudoSum: number): boolean {
    return sum(this.buf, this.off, this.off + this.len, pseudoSum) === 0xffff;
  }

  /** Fixes the checksum after covered words with partial sum `oldSum` became `newSum` (pseudo-header swap). */
  adjustChecksum(oldSum: number, newSum: number): void {
    this.checksum = adjust(this.checksum, oldSum, newSum);
  }
  /** Sets Source Port and fixes the checksum incrementally. */
  setSrcPortUpdatingChecksum(v: number): void {
    this.checksum = update16(this.checksum, this.srcPort, v);
    this.srcPort = v;
  }
  /** Sets Destination Port and fixes the checksum incrementally. */
  setDstPortUpdatingChecksum(v: number): void {
    this.checksum = update16(this.checksum, this.dstPort, v);
    this.dstPort = v;
  }
  /** Sets Sequence Number and fixes the checksum incrementally. */
  setSeqNumberUpdatingChecksum(v: number): void {
    this.checksum = update32(this.checksum, this.seqNumber, v >>> 0);
    this.seqNumber = v;
  }
  /** Sets Acknowledgment Number and fixes the checksum incrementally. */
  setAckNumberUpdatingChecksum(v: number): void {
    this.checksum = update32(this.checksum, this.ackNumber, v >>> 0);
    this.ackNumber = v;
  }

  /**
   * Walks the options (RFC 9293 §3.1) and returns the absolute offset of the
   * MSS option's 2-byte value, `TCP_NO_MSS`, or `TCP_OPTIONS_MALFORMED` (an
   * option runs past the header, or an MSS option whose length is not 4).
   */
  mssOffset(): number {
    const b = this.buf;
    const end = this.off + this.headerLength;
    let i = this.off + F.OPTIONS;
    while (i < end) {
      const kind = b[i]!;
      if (kind === TCP_OPTION.EOL) break;
      if (kind === TCP_OPTION.NOP) { i++; continue; }
      if (i + 1 >= end) return TCP_OPTIONS_MALFORMED;
      const olen = b[i + 1]!;
      if (olen < 2 || i + olen > end) return TCP_OPTIONS_MALFORMED;
      if (kind === TCP_OPTION.MSS) return olen === 4 ? i + 2 : TCP_OPTIONS_MALFORMED;
      i += olen;
    }
    return TCP_NO_MSS;
  }

  /** The MSS option value, or -1 when absent or malformed. */
  get mss(): number {
    const at = this.mssOffset();
    return at < 0 ? -1 : u16(this.buf, at);
  }

  /**
   * Rewrites an existing MSS option to `v`, fixing the checksum incrementally.
   * Returns false (nothing written) when there is no well-formed MSS option.
   */
  setMssUpdatingChecksum(v: number): boolean {
    const at = this.mssOffset();
    if (at < 0) return false;
    // The value is one checksum word when it sits at an even distance from
    // the header start; otherwise it straddles two words (after a lone NOP).
    if (((at - this.off) & 1) === 0) {
      this.checksum = update16(this.checksum, u16(this.buf, at), v);
      setU16(this.buf, at, v);
    } else {
      const w0 = u16(this.buf, at - 1);
      const w1 = u16(this.buf, at + 1);
      setU16(this.buf, at, v);
      this.checksum = update16(update16(this.checksum, w0, u16(this.buf, at - 1)), w1, u16(this.buf, at + 1));
    }
    return true;
  }

  /**
   * MSS clamping: if an MSS option is present and larger than `max`, rewrites
   * it to `max` and fixes the checksum incrementally. Returns whether the
   * segment changed.
   */
  clampMss(max: number): boolean {
    const mss = this.mss;
    return mss > max && this.setMssUpdatingChecksum(max);
  }
}

/** A TCP header as a plain readonly object. */
export interface TcpRepr {
  /** Source Port. */
  readonly srcPort: number;
  /** Destination Port. */
  readonly dstPort: number;
  /** Sequence Number. */
  readonly seqNumber: number;
  /** Acknowledgment Number. */
  readonly ackNumber: number;
  /** Flags octet (see `TCP_FLAG`). */
  readonly flags: number;
  /** Window. */
  readonly window: number;
  /** Urgent Pointer. */
  readonly urgentPointer: number;
  /** Options bytes (emit pads them with EOL to a multiple of 4; at most 40). */
  readonly options: Uint8Array;
  /** Data length in bytes. */
  readonly payloadLength: number;
}

/** Reads a (checked) view into a repr; options are copied. */
export function parseTcpHeader(v: TcpHeader): TcpRepr {
  return {
    srcPort: v.srcPort,
    dstPort: v.dstPort,
    seqNumber: v.seqNumber,
    ackNumber: v.ackNumber,
    flags: v.flags,
    window: v.window,
    urgentPointer: v.urgentPointer,
    options: v.options().slice(),
    payloadLength: v.len - v.headerLength,
  };
}

/** Header length `emitTcpHeader` will write for `repr` (20 + options rounded up to 4). */
export function tcpHeaderLength(repr: TcpRepr): number {
  return TCP_HEADER_LEN + ((repr.options.length + 3) & ~3);
}

/**
 * Writes every header byte for `repr` at `off` of `buf`. With `pseudoSum`
 * (which must cover length = header + data), fills the checksum over the data
 * already in place after the header; without, writes checksum 0. Returns the
 * header length.
 */
export function emitTcpHeader(repr: TcpRepr, buf: Uint8Array, off = 0, pseudoSum?: number): number {
  const hl = tcpHeaderLength(repr);
  setU16(buf, off + F.SRC_PORT, repr.srcPort);
  setU16(buf, off + F.DST_PORT, repr.dstPort);
  setU32(buf, off + F.SEQ_NUM, repr.seqNumber);
  setU32(buf, off + F.ACK_NUM, repr.ackNumber);
  setU8(buf, off + F.DATA_OFF, (hl >>> 2) << 4);
  setU8(buf, off + F.FLAGS, repr.flags);
  setU16(buf, off + F.WINDOW, repr.window);
  setU16(buf, off + F.CHECKSUM, 0);
  setU16(buf, off + F.URGENT, repr.urgentPointer);
  buf.set(repr.options, off + F.OPTIONS);
  buf.fill(0, off + F.OPTIONS + repr.options.length, off + hl);
  if (pseudoSum !== undefined) new TcpHeader(buf, off, hl + repr.payloadLength).fillChecksum(pseudoSum);
  return hl;
}

const FLAG_LETTERS = 'FSRPAUEC';

/** One-line summary for logs: `TCP 12345 > 80 [S.] seq=100 ack=200 win=65535 len=2 mss=1460`. */
export function formatTcpHeader(v: TcpHeader): string {
  let f = '';
  for (let i = 0; i < 8; i++) if ((v.flags & (1 << i)) !== 0) f += i === 4 ? '.' : FLAG_LETTERS[i];
  let s = `TCP ${v.srcPort} > ${v.dstPort} [${f}] seq=${v.seqNumber} ack=${v.ackNumber} win=${v.window} len=${v.len - v.headerLength}`;
  const mss = v.mss;
  if (mss >= 0) s += ` mss=${mss}`;
  return s;
}
