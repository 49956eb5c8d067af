/**
 * The `Packet` value builders return: a packet at `off` of a larger buffer,
 * so translator tests can exercise headroom (STYLE §3) without copying.
 * Headroom and tailroom are pre-filled with 0xa5 to catch stray writes.
 */

/** A packet inside a buffer: `bytes` is `buf[off, off+len)` (a subarray). */
export interface Packet {
  /** The whole buffer, including headroom and tailroom. */
  readonly buf: Uint8Array;
  /** Offset of the packet's first byte (= headroom). */
  readonly off: number;
  /** Packet length in bytes. */
  readonly len: number;
  /** The packet bytes, `buf.subarray(off, off + len)`. */
  readonly bytes: Uint8Array;
}

/** Free space around a built packet. */
export interface Room {
  /** Bytes before the packet (default 0), filled with 0xa5. */
  headroom?: number;
  /** Bytes after the packet (default 0), filled with 0xa5. */
  tailroom?: number;
}

/** Allocates a buffer for `len` packet bytes plus `room`, headroom/tailroom filled with 0xa5. */
export function allocPacket(len: number, room: Room = {}): { buf: Uint8Array; off: number } {
  const off = room.headroom ?? 0;
  const buf = new Uint8Array(off + len + (room.tailroom ?? 0)).fill(0xa5);
  buf.fill(0, off, off + len);
  return { buf, off };
}

/** Wraps `buf[off, off+len)` as a `Packet`. */
export function packetAt(buf: Uint8Array, off: number, len: number): Packet {
  return { buf, off, len, bytes: buf.subarray(off, off + len) };
}

/** Copies `bytes` into a new buffer with `room` around it. */
export function withRoom(bytes: Uint8Array, room: Room = {}): Packet {
  const { buf, off } = allocPacket(bytes.length, room);
  buf.set(bytes, off);
  return packetAt(buf, off, bytes.length);
}
