/**
 * What a sending stack and a NIC do with the virtio_net_hdr offloads, done
 * from scratch (RFC 1071 sums, no @sixgate/wire helpers) so tests of the
 * daemon's offload code cannot share a mistake with it: build a header,
 * leave a checksum partial as a sender would, complete it as a NIC would, and
 * cut a TCP (TSO) or UDP (USO) super-packet into the packets that go on the
 * wire. Header layout as in linux/virtio_net.h, little-endian.
 */

/** virtio_net_hdr flags bit: the checksum field holds the pseudo-header sum only. */
const NEEDS_CSUM = 1;
/** gso_type of a UDP super-packet. */
const GSO_UDP_L4 = 5;

/** A 10-byte virtio_net_hdr. */
export function vnetHeader(flags: number, gsoType: number, gsoSize: number, csumStart: number, csumOffset: number, hdrLen = 0): Uint8Array {
  const h = new Uint8Array(10);
  const v = new DataView(h.buffer);
  h[0] = flags;
  h[1] = gsoType;
  v.setUint16(2, hdrLen, true);
  v.setUint16(4, gsoSize, true);
  v.setUint16(6, csumStart, true);
  v.setUint16(8, csumOffset, true);
  return h;
}

/** The little-endian 16-bit field at `at` of a virtio_net_hdr. */
export const vnetField = (h: Uint8Array, at: number): number => new DataView(h.buffer, h.byteOffset).getUint16(at, true);

/** Folded ones'-complement sum of `b[start..end)` plus `acc` (RFC 1071). */
export function onesSum(b: Uint8Array, start: number, end: number, acc = 0): number {
  for (let i = start; i < end; i += 2) acc += (b[i]! << 8) | (i + 1 < end ? b[i + 1]! : 0);
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  return acc;
}

/** Pseudo-header sum of the IP packet `p` for an upper layer of `l4len` bytes. */
export function pseudoSum(p: Uint8Array, l4len: number): number {
  if (p[0]! >> 4 === 4) return onesSum(p, 12, 20, p[9]! + l4len);
  return onesSum(p, 8, 40, p[6]! + l4len);
}

/** Transport header offset of an IPv4 packet or an IPv6 packet without extension headers. */
export const l4Offset = (p: Uint8Array): number => (p[0]! >> 4 === 4 ? (p[0]! & 0x0f) * 4 : 40);

/** True when the TCP/UDP checksum of `p` is right. */
export function l4ChecksumOk(p: Uint8Array): boolean {
  const l4 = l4Offset(p);
  return onesSum(p, l4, p.length, pseudoSum(p, p.length - l4)) === 0xffff;
}

/** True when the IPv4 header checksum of `p` is right. */
export const ipv4ChecksumOk = (p: Uint8Array): boolean => onesSum(p, 0, l4Offset(p)) === 0xffff;

/** What a sending stack does before handing a packet on with NEEDS_CSUM: the field holds the pseudo-header sum. */
export function partialize(p: Uint8Array): Uint8Array {
  const q = p.slice();
  const l4 = l4Offset(q);
  const at = l4 + ((q[0]! >> 4 === 4 ? q[9] : q[6]) === 6 ? 16 : 6);
  const s = pseudoSum(q, q.length - l4);
  q[at] = s >> 8;
  q[at + 1] = s & 0xff;
  return q;
}

/** What a NIC does with NEEDS_CSUM: sum from csum_start to the end, complement, store. */
export function nicComplete(p: Uint8Array, h: Uint8Array): Uint8Array {
  const q = p.slice();
  if ((h[0]! & NEEDS_CSUM) === 0) return q;
  const cs = vnetField(h, 6);
  const at = cs + vnetField(h, 8);
  let c = ~onesSum(q, cs, q.length) & 0xffff;
  if (c === 0 && vnetField(h, 8) === 6) c = 0xffff;
  q[at] = c >> 8;
  q[at + 1] = c & 0xff;
  return q;
}

/**
 * What a NIC does with a GSO packet: cuts it into gso_size payloads behind
 * copies of the hdr_len header bytes, IPv4 IDs counting up, lengths and
 * checksums completed. TCP: sequence numbers advance, CWR stays on the first
 * segment, FIN and PSH on the last. UDP: every datagram gets its own length.
 */
export function nicSegment(p: Uint8Array, h: Uint8Array): Uint8Array[] {
  const gso = vnetField(h, 4);
  const hl = vnetField(h, 2);
  const l4 = vnetField(h, 6);
  const udp = h[1] === GSO_UDP_L4;
  const v4 = p[0]! >> 4 === 4;
  const out: Uint8Array[] = [];
  const payload = p.length - hl;
  const n = Math.ceil(payload / gso);
  const seq0 = new DataView(p.buffer, p.byteOffset).getUint32(l4 + 4);
  for (let j = 0; j < n; j++) {
    const chunk = Math.min(gso, payload - j * gso);
    const s = new Uint8Array(hl + chunk);
    s.set(p.subarray(0, hl));
    s.set(p.subarray(hl + j * gso, hl + j * gso + chunk), hl);
    const dv = new DataView(s.buffer);
    if (v4) {
      dv.setUint16(2, s.length);
      dv.setUint16(4, (dv.getUint16(4) + j) & 0xffff);
      dv.setUint16(10, 0);
      dv.setUint16(10, ~onesSum(s, 0, l4) & 0xffff);
    } else {
      dv.setUint16(4, s.length - 40);
    }
    const at = l4 + (udp ? 6 : 16);
    if (udp) {
      dv.setUint16(l4 + 4, s.length - l4);
    } else {
      dv.setUint32(l4 + 4, (seq0 + j * gso) >>> 0);
      if (j > 0) s[l4 + 13] = s[l4 + 13]! & ~0x80;
      if (j < n - 1) s[l4 + 13] = s[l4 + 13]! & ~0x09;
    }
    dv.setUint16(at, 0);
    let c = ~onesSum(s, l4, s.length, pseudoSum(s, s.length - l4)) & 0xffff;
    if (c === 0 && udp) c = 0xffff;
    dv.setUint16(at, c);
    out.push(s);
  }
  return out;
}
