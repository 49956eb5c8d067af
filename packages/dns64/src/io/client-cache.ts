/**
 * Who is asking, cached per source address: the access-control decision and
 * the rate-limit key are computed once per client, not per query. The native
 * UDP path looks clients up straight from the kernel's 28-byte sockaddr slot
 * (see native/udp.c), so no address string is built on the hot path.
 */
import { endianness } from 'node:os';
import { formatIpv4, formatIpv6, tryParseIpv4, tryParseIpv6 } from '@sixgate/addressing';
import type { RateKey } from '../rate-limit.js';
import { AF_INET, AF_INET6 } from './native-udp.js';

/** Who is asking. */
export interface ClientInfo {
  /** Inside `clients` (else REFUSED). */
  readonly allowed: boolean;
  /** The rate limiter's bucket keys (computed once per client). */
  readonly rateKey: RateKey;
  /** The IPv6 source (for the translator policy); undefined for IPv4 clients. */
  readonly client6: Uint8Array | undefined;
  /** The address as text (traces). */
  readonly text: string;
}

/** Decides for a new client: `v4` >= 0 for IPv4 (also IPv4-mapped IPv6), else `v6` holds the address. */
export type ClassifyClient = (v4: number, v6: Uint8Array | undefined, text: string) => ClientInfo;

interface V6Entry {
  readonly w0: number;
  readonly w1: number;
  readonly w2: number;
  readonly w3: number;
  readonly info: ClientInfo;
}

const LITTLE = endianness() === 'LE';

/** A bounded cache from client address to ClientInfo; cleared when full or when the options change. */
export class ClientCache {
  readonly #byText = new Map<string, ClientInfo>();
  readonly #v4 = new Map<number, ClientInfo>();
  readonly #v6 = new Map<number, V6Entry>();

  constructor(
    private readonly classify: ClassifyClient,
    private readonly max = 4096,
  ) {}

  /** Entries held (all three maps). */
  get size(): number {
    return this.#byText.size + this.#v4.size + this.#v6.size;
  }

  /** Forgets every client (after an options change). */
  clear(): void {
    this.#byText.clear();
    this.#v4.clear();
    this.#v6.clear();
  }

  /** By address text, as node:dgram and node:net report it ("::ffff:a.b.c.d" and "%scope" allowed). */
  fromText(address: string): ClientInfo {
    let c = this.#byText.get(address);
    if (c !== undefined) return c;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    const v4 = tryParseIpv4(mapped ? mapped[1]! : address);
    c = v4 >= 0 ? this.classify(v4, undefined, address) : this.classify(-1, tryParseIpv6(address.replace(/%.*$/, '')) ?? new Uint8Array(16), address);
    if (this.#byText.size >= this.max) this.#byText.clear();
    this.#byText.set(address, c);
    return c;
  }

  /**
   * By raw sockaddr slot `addrs[index*28..]`: family (host order) at 0, then
   * sin_addr at 4 or sin6_addr at 8. Unknown families classify as `::`
   * (never inside a client network unless `::/0` is allowed).
   */
  fromSockaddr(addrs: Uint8Array, index: number): ClientInfo {
    const o = index * 28;
    const family = LITTLE ? addrs[o]! | (addrs[o + 1]! << 8) : (addrs[o]! << 8) | addrs[o + 1]!;
    if (family === AF_INET) return this.#fromV4(word(addrs, o + 4));
    if (family !== AF_INET6) return this.fromText('::');
    const a = o + 8;
    const w0 = word(addrs, a);
    const w1 = word(addrs, a + 4);
    const w2 = word(addrs, a + 8);
    const w3 = word(addrs, a + 12);
    // RFC 4291 §2.5.5.2: ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket.
    if (w0 === 0 && w1 === 0 && w2 === 0xffff) return this.#fromV4(w3);
    const h = (w0 ^ Math.imul(w1, 0x9e3779b1) ^ Math.imul(w2, 0x85ebca6b) ^ Math.imul(w3, 0xc2b2ae35)) >>> 0;
    const e = this.#v6.get(h);
    if (e !== undefined && e.w0 === w0 && e.w1 === w1 && e.w2 === w2 && e.w3 === w3) return e.info;
    const bytes = addrs.slice(a, a + 16);
    const info = this.classify(-1, bytes, formatIpv6(bytes));
    if (this.#v6.size >= this.max) this.#v6.clear();
    this.#v6.set(h, { w0, w1, w2, w3, info });
    return info;
  }

  #fromV4(v4: number): ClientInfo {
    let c = this.#v4.get(v4);
    if (c !== undefined) return c;
    c = this.classify(v4, undefined, formatIpv4(v4));
    if (this.#v4.size >= this.max) this.#v4.clear();
    this.#v4.set(v4, c);
    return c;
  }
}

/** Four bytes in network order as an unsigned 32-bit number. */
function word(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}
