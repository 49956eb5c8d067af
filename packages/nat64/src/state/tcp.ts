/**
 * The TCP session state machine of RFC 6146 §3.5.2.2, as a pure step function.
 *
 * `tcpStep(state, fromV6, flags)` returns `next * 4 + timer`, where `timer`
 * says what happens to the session lifetime: keep it, set it to TCP_EST, or
 * set it to TCP_TRANS. Choices where the RFC leaves room (documented in
 * README "Bugs"/decisions):
 * - V4 SYN to an existing binding starts V4 INIT with the transitory lifetime.
 * - RST moves ESTABLISHED and the FIN states to TRANS (§3.5.2.2: "RST ...
 *   TCP_TRANS"); in the INIT states it changes nothing.
 * - FIN in both directions gives V4 FIN + V6 FIN RCV with the transitory
 *   lifetime, which later packets do not refresh.
 * - TRANS: any packet that is not a RST returns to ESTABLISHED.
 * - An ESTABLISHED session whose lifetime runs out is deleted (we send no
 *   keepalive probe, so there is nothing to wait for in TRANS).
 */
import { TCP_FIN, TCP_RST, TCP_SYN } from './api.js';

export const CLOSED = 0;
export const V6_INIT = 1;
export const V4_INIT = 2;
export const ESTABLISHED = 3;
export const V4_FIN_RCV = 4;
export const V6_FIN_RCV = 5;
export const V4_FIN_V6_FIN_RCV = 6;
export const TRANS = 7;

/** State names as the API shows them, indexed by state number. */
export const TCP_STATE_NAMES: readonly string[] = Object.freeze([
  'closed', 'v6-init', 'v4-init', 'established', 'v4-fin-rcv', 'v6-fin-rcv', 'v4-fin-v6-fin-rcv', 'trans',
]);

/** Timer actions packed into the low two bits of `tcpStep`'s result. */
export const KEEP = 0;
export const SET_EST = 1;
export const SET_TRANS = 2;

const pack = (next: number, timer: number): number => next * 4 + timer;

/** One packet in direction `fromV6` with TCP `flags` applied to `state`. */
export function tcpStep(state: number, fromV6: boolean, flags: number): number {
  const syn = (flags & TCP_SYN) !== 0;
  const fin = (flags & TCP_FIN) !== 0;
  const rst = (flags & TCP_RST) !== 0;
  switch (state) {
    case CLOSED:
      if (!syn) return pack(CLOSED, KEEP);
      return pack(fromV6 ? V6_INIT : V4_INIT, SET_TRANS);
    case V6_INIT:
      if (syn && !fromV6) return pack(ESTABLISHED, SET_EST);
      return pack(V6_INIT, syn ? SET_TRANS : KEEP);
    case V4_INIT:
      if (syn && fromV6) return pack(ESTABLISHED, SET_EST);
      return pack(V4_INIT, syn ? SET_TRANS : KEEP);
    case ESTABLISHED:
      if (rst) return pack(TRANS, SET_TRANS);
      if (fin) return pack(fromV6 ? V6_FIN_RCV : V4_FIN_RCV, SET_EST);
      return pack(ESTABLISHED, SET_EST);
    case V4_FIN_RCV:
      if (rst) return pack(TRANS, SET_TRANS);
      if (fin && fromV6) return pack(V4_FIN_V6_FIN_RCV, SET_TRANS);
      return pack(V4_FIN_RCV, SET_EST);
    case V6_FIN_RCV:
      if (rst) return pack(TRANS, SET_TRANS);
      if (fin && !fromV6) return pack(V4_FIN_V6_FIN_RCV, SET_TRANS);
      return pack(V6_FIN_RCV, SET_EST);
    case V4_FIN_V6_FIN_RCV:
      return pack(V4_FIN_V6_FIN_RCV, KEEP);
    default:
      // TRANS
      if (rst) return pack(TRANS, KEEP);
      return pack(ESTABLISHED, SET_EST);
  }
}
