// Test-only helpers for the oracle parser's own tests.

/** Hex text to bytes; ignores whitespace and `#` / `//` comments to the end of the line. */
export function hex(text: string): Uint8Array {
  const digits = text.replace(/(#|\/\/)[^\n]*/g, '').replace(/\s+/g, '');
  if (digits.length % 2 !== 0 || /[^0-9a-f]/i.test(digits)) throw new Error(`bad hex: ${digits}`);
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A buffer of `n` bytes pre-filled with 0xa5 (STYLE §9: construct/emit into dirty memory). */
export function dirty(n: number): Uint8Array {
  return new Uint8Array(n).fill(0xa5);
}

/** `bytes` copied at `off` into a 0xa5-filled buffer with `tail` spare bytes after. */
export function placed(bytes: Uint8Array, off: number, tail = 0): Uint8Array {
  const b = dirty(off + bytes.length + tail);
  b.set(bytes, off);
  return b;
}
