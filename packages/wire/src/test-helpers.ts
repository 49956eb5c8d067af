// Test-only: a typed array whose reads outside [lo, hi) throw, so a test
// proves an accessor stays inside the bytes it was given.

/** `buf` behind a Proxy that throws on any index read outside [lo, hi). */
export function guard(buf: Uint8Array, lo: number, hi: number): Uint8Array {
  return new Proxy(buf, {
    get(t, k) {
      if (typeof k === 'string' && /^-?\d+$/.test(k) && (Number(k) < lo || Number(k) >= hi)) {
        throw new RangeError(`read at ${k} outside [${lo}, ${hi})`);
      }
      const v = Reflect.get(t, k) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}
