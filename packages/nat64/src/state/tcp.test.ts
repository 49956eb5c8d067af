import { describe, expect, it } from 'vitest';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from './api.js';
import { CLOSED, ESTABLISHED, KEEP, SET_EST, SET_TRANS, tcpStep, TRANS, V4_FIN_RCV, V4_FIN_V6_FIN_RCV, V4_INIT, V6_FIN_RCV, V6_INIT } from './tcp.js';

const V6 = true;
const V4 = false;

describe('tcpStep (RFC 6146 §3.5.2.2)', () => {
  it.each([
    { name: 'CLOSED + v6 SYN', from: CLOSED, dir: V6, flags: TCP_SYN, next: V6_INIT, timer: SET_TRANS },
    { name: 'CLOSED + v4 SYN', from: CLOSED, dir: V4, flags: TCP_SYN, next: V4_INIT, timer: SET_TRANS },
    { name: 'CLOSED + ACK', from: CLOSED, dir: V6, flags: TCP_ACK, next: CLOSED, timer: KEEP },
    { name: 'V6 INIT + v4 SYN', from: V6_INIT, dir: V4, flags: TCP_SYN | TCP_ACK, next: ESTABLISHED, timer: SET_EST },
    { name: 'V6 INIT + v6 SYN again', from: V6_INIT, dir: V6, flags: TCP_SYN, next: V6_INIT, timer: SET_TRANS },
    { name: 'V6 INIT + v4 ACK', from: V6_INIT, dir: V4, flags: TCP_ACK, next: V6_INIT, timer: KEEP },
    { name: 'V6 INIT + RST', from: V6_INIT, dir: V4, flags: TCP_RST, next: V6_INIT, timer: KEEP },
    { name: 'V4 INIT + v6 SYN', from: V4_INIT, dir: V6, flags: TCP_SYN | TCP_ACK, next: ESTABLISHED, timer: SET_EST },
    { name: 'V4 INIT + v4 SYN again', from: V4_INIT, dir: V4, flags: TCP_SYN, next: V4_INIT, timer: SET_TRANS },
    { name: 'ESTABLISHED + data', from: ESTABLISHED, dir: V4, flags: TCP_ACK, next: ESTABLISHED, timer: SET_EST },
    { name: 'ESTABLISHED + v4 FIN', from: ESTABLISHED, dir: V4, flags: TCP_FIN | TCP_ACK, next: V4_FIN_RCV, timer: SET_EST },
    { name: 'ESTABLISHED + v6 FIN', from: ESTABLISHED, dir: V6, flags: TCP_FIN, next: V6_FIN_RCV, timer: SET_EST },
    { name: 'ESTABLISHED + v4 RST', from: ESTABLISHED, dir: V4, flags: TCP_RST, next: TRANS, timer: SET_TRANS },
    { name: 'ESTABLISHED + v6 RST', from: ESTABLISHED, dir: V6, flags: TCP_RST | TCP_ACK, next: TRANS, timer: SET_TRANS },
    { name: 'V4 FIN RCV + v6 FIN', from: V4_FIN_RCV, dir: V6, flags: TCP_FIN, next: V4_FIN_V6_FIN_RCV, timer: SET_TRANS },
    { name: 'V4 FIN RCV + v4 FIN again', from: V4_FIN_RCV, dir: V4, flags: TCP_FIN, next: V4_FIN_RCV, timer: SET_EST },
    { name: 'V4 FIN RCV + RST', from: V4_FIN_RCV, dir: V6, flags: TCP_RST, next: TRANS, timer: SET_TRANS },
    { name: 'V6 FIN RCV + v4 FIN', from: V6_FIN_RCV, dir: V4, flags: TCP_FIN, next: V4_FIN_V6_FIN_RCV, timer: SET_TRANS },
    { name: 'V6 FIN RCV + data', from: V6_FIN_RCV, dir: V4, flags: TCP_ACK, next: V6_FIN_RCV, timer: SET_EST },
    { name: 'both FIN + anything', from: V4_FIN_V6_FIN_RCV, dir: V4, flags: TCP_ACK, next: V4_FIN_V6_FIN_RCV, timer: KEEP },
    { name: 'TRANS + data', from: TRANS, dir: V4, flags: TCP_ACK, next: ESTABLISHED, timer: SET_EST },
    { name: 'TRANS + v6 SYN', from: TRANS, dir: V6, flags: TCP_SYN, next: ESTABLISHED, timer: SET_EST },
    { name: 'TRANS + RST', from: TRANS, dir: V6, flags: TCP_RST, next: TRANS, timer: KEEP },
  ])('$name', ({ from, dir, flags, next, timer }) => {
    const r = tcpStep(from, dir, flags);
    expect({ next: r >>> 2, timer: r & 3 }).toEqual({ next, timer });
  });
});
