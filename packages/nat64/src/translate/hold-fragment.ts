/**
 * Holding a fragment (fragment-hold.ts) from the translate functions: the
 * hold's answer becomes the outcome and its counter. A datagram the new
 * fragment completes is left pending in the hold for `Translator.translate`
 * to release (release.ts), so that call sends every fragment of it.
 */
import type { DropReason } from '../metrics.js';
import type { TranslateContext } from './context.js';
import { Held } from './fragment-hold.js';
import { DROP, type Outcome } from './outcome.js';

/**
 * Holds the fragment `buf[off..off+len)` of `family` whose datagram key is
 * `key[0..keyLen)`; its data starts at `off + dataAt`, at byte `fragOff` of
 * the datagram, `more` is its M/MF flag. 10 parameters: fragment path, no
 * descriptor allocation.
 */
export function holdFragment(
  c: TranslateContext, key: Uint8Array, keyLen: number, family: number, buf: Uint8Array,
  off: number, len: number, dataAt: number, fragOff: number, more: boolean,
): Outcome {
  // A released fragment that still finds no entry is not held again (no loop).
  if (c.releasing) return c.drop('fragment-no-session');
  const r = c.hold.add(key, keyLen, family, buf, off, len, dataAt, fragOff, more, c.cfg.fragmentTimeoutMs);
  switch (r) {
    case Held.held:
      return c.drop('fragment-held');
    case Held.complete:
      // Not a drop and not counted: translate() releases the datagram now.
      c.hold.pend(key, keyLen, family, true);
      return DROP['fragment-held'];
    case Held.duplicate:
      return c.drop('fragment-duplicate');
    case Held.invalid:
      return discard(c, key, keyLen, family, 'fragment-invalid');
    default:
      // Full: an out-of-order follower is lost alone; a datagram held whole cannot complete any more.
      if (!c.hold.firstHeld) return c.drop('fragment-no-session');
      return discard(c, key, keyLen, family, key[keyLen - 1] === 17 ? 'udp-zero-checksum-fragment' : 'fragment-hold-full');
  }
}

/** Drops the fragment and every held fragment of its datagram, counted under `reason`. */
function discard(c: TranslateContext, key: Uint8Array, keyLen: number, family: number, reason: DropReason): Outcome {
  c.counters.drops[reason] += c.hold.discard(key, keyLen, family);
  return c.drop(reason);
}
