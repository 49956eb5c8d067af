/**
 * A classic libpcap file (the format of tcpdump -w): a 24-byte global header
 * and one 16-byte record header per packet, all little-endian here, with
 * LINKTYPE_RAW (101): each record is a bare IPv4 or IPv6 packet, told apart by
 * its version nibble, which is what a translator sees on a TUN device.
 */

/** Link type of records that start with an IP header (no link layer). */
export const LINKTYPE_RAW = 101;
/** Longest packet kept per record; longer ones are truncated (orig_len keeps the size). */
export const PCAP_SNAPLEN = 65_535;
export const PCAP_GLOBAL_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;
/** Microsecond-resolution magic, as written by a little-endian host. */
export const PCAP_MAGIC = 0xa1b2c3d4;

/** One captured packet: wall-clock time in milliseconds and the IP packet. */
export interface PcapPacket {
  readonly ts: number;
  readonly data: Uint8Array;
}

/** The whole file for `packets`, in the order given. */
export function buildPcap(packets: readonly PcapPacket[]): Uint8Array {
  let size = PCAP_GLOBAL_HEADER_LEN;
  for (const p of packets) size += PCAP_RECORD_HEADER_LEN + Math.min(p.data.length, PCAP_SNAPLEN);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, PCAP_MAGIC, true);
  view.setUint16(4, 2, true); // version 2.4
  view.setUint16(6, 4, true);
  view.setInt32(8, 0, true); // thiszone: UTC
  view.setUint32(12, 0, true); // sigfigs
  view.setUint32(16, PCAP_SNAPLEN, true);
  view.setUint32(20, LINKTYPE_RAW, true);
  let off = PCAP_GLOBAL_HEADER_LEN;
  for (const p of packets) {
    const incl = Math.min(p.data.length, PCAP_SNAPLEN);
    const micros = Math.max(0, Math.round(p.ts * 1000));
    view.setUint32(off, Math.floor(micros / 1e6), true);
    view.setUint32(off + 4, micros % 1e6, true);
    view.setUint32(off + 8, incl, true);
    view.setUint32(off + 12, p.data.length, true);
    out.set(p.data.subarray(0, incl), off + PCAP_RECORD_HEADER_LEN);
    off += PCAP_RECORD_HEADER_LEN + incl;
  }
  return out;
}
