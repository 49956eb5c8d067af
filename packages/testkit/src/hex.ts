/**
 * Hex fixtures. `hex` reads hex digits, ignoring whitespace and `#` or `//`
 * comments to the end of the line, so a fixture can carry one comment per
 * header line (STYLE §9). Usable as a tagged template (interpolated
 * `Uint8Array`s are inserted as hex, numbers and strings as text) or as a
 * function.
 */

/** Hex text to bytes (tag or call); ignores whitespace and `#` / `//` comments. Throws on odd length or stray characters. */
export function hex(text: TemplateStringsArray | string, ...values: unknown[]): Uint8Array {
  let src: string;
  if (typeof text === 'string') {
    src = text;
  } else {
    src = text.raw[0] ?? '';
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      src += (v instanceof Uint8Array ? toHex(v) : String(v)) + (text.raw[i + 1] ?? '');
    }
  }
  const digits = src.replace(/(#|\/\/)[^\n]*/g, '').replace(/\s+/g, '');
  if (/[^0-9a-fA-F]/.test(digits)) throw new Error(`hex: unexpected character in ${JSON.stringify(digits)}`);
  if (digits.length % 2 !== 0) throw new Error(`hex: odd number of digits (${digits.length})`);
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Bytes to lower-case hex, `sep` between bytes (default none). */
export function toHex(bytes: Uint8Array, sep = ''): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    if (i > 0) s += sep;
    s += bytes[i]!.toString(16).padStart(2, '0');
  }
  return s;
}
