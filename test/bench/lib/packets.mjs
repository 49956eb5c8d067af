// Test packets for the translator benchmarks, built by hand (no parser of ours involved).
import { embedIpv4 } from '@sixgate/addressing';
import { finish, pseudoHeaderSum6, sum } from '@sixgate/wire';

export const put16 = (b, o, v) => {
  b[o] = v >>> 8;
  b[o + 1] = v & 0xff;
};

/**
 * IPv6/UDP packet of `size4 + 20` bytes (`size4` once translated) from
 * `client6`#`sport` to `prefix` + `server4`#53, payload bytes i & 0xff,
 * checksum right.
 */
export function udp6(prefix, client6, server4, size4, sport) {
  const len = size4 + 20;
  const b = new Uint8Array(len);
  b[0] = 0x60;
  put16(b, 4, len - 40);
  b[6] = 17;
  b[7] = 64;
  b.set(client6, 8);
  embedIpv4(prefix, server4, b, 24);
  put16(b, 40, sport);
  put16(b, 42, 53);
  put16(b, 44, len - 40);
  for (let i = 48; i < len; i++) b[i] = i & 0xff;
  put16(b, 46, finish(sum(b, 40, len, pseudoHeaderSum6(b, 8, 24, 17, len - 40))));
  return b;
}

/**
 * Makes the `udp6` packet at `buf[at…]` another flow: the client address's
 * last 16 bits become `host`, the source port `port`. The UDP checksum is
 * then off, which the translator carries as is (RFC 7915 §4.5 adjusts it
 * incrementally): no effect on speed.
 */
export function setFlow6(buf, at, host, port) {
  put16(buf, at + 22, host);
  put16(buf, at + 40, port);
}
