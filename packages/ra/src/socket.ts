/**
 * The raw ICMPv6 socket from the N-API addon (native/ra.c), loaded lazily
 * from `../build/Release/ra.node` relative to this module (`src/` under
 * vitest, `dist/` when built).
 */
import { createRequire } from 'node:module';

/** Opaque handle owned by the addon (a napi external). */
export type RaHandle = { readonly __raHandle: unique symbol };

/** Functions exported by build/Release/ra.node; see native/ra.c for the contract. */
export interface NativeRa {
  open(ifname: string): RaHandle;
  ifindex(h: RaHandle): number;
  recv(h: RaHandle, buf: Uint8Array, meta: Uint8Array): number;
  send(h: RaHandle, buf: Uint8Array, length: number, dst: Uint8Array, src: Uint8Array | null): number;
  poll(h: RaHandle, cb: ((status: number) => void) | null): void;
  close(h: RaHandle): void;
}

export const RA_ADDON_PATH = '../build/Release/ra.node';

let cached: NativeRa | undefined;
let loadError: Error | undefined;

/** Loads the addon once; throws why it cannot (not built, wrong platform). */
export function loadNativeRa(): NativeRa {
  if (cached) return cached;
  if (loadError) throw loadError;
  try {
    cached = createRequire(import.meta.url)(RA_ADDON_PATH) as NativeRa;
    return cached;
  } catch (err) {
    loadError = new Error(`the router advertisement addon did not load (${(err as Error).message}); run npm install to build it`);
    throw loadError;
  }
}

/** One message read from the socket; `bytes` is valid until the next read. */
export interface Received {
  readonly bytes: Uint8Array;
  readonly length: number;
  readonly source: Uint8Array;
  readonly destination: Uint8Array;
  readonly hopLimit: number;
  readonly truncated: boolean;
}

/** A raw ICMPv6 socket bound to one interface (RS and RA only, hop limit 255). */
export class RaSocket {
  readonly ifindex: number;
  private readonly buf = new Uint8Array(1500);
  private readonly meta = new Uint8Array(40);
  private closed = false;

  private constructor(
    private readonly native: NativeRa,
    private readonly h: RaHandle,
    readonly ifname: string,
  ) {
    this.ifindex = native.ifindex(h);
  }

  /** Opens the socket on `ifname`; throws the addon's `{errno, syscall}` error. */
  static open(ifname: string, native: NativeRa = loadNativeRa()): RaSocket {
    return new RaSocket(native, native.open(ifname), ifname);
  }

  /** Calls `onMessage` for each waiting message whenever the socket becomes readable. */
  listen(onMessage: (m: Received) => void, onError: (e: Error) => void): void {
    this.native.poll(this.h, () => {
      try {
        for (let i = 0; i < 64 && !this.closed; i++) {
          const n = this.native.recv(this.h, this.buf, this.meta);
          if (n < 0) break;
          onMessage({
            bytes: this.buf,
            length: n,
            source: this.meta.slice(0, 16),
            destination: this.meta.slice(16, 32),
            hopLimit: this.meta[32]!,
            truncated: this.meta[33] === 1,
          });
        }
      } catch (e) {
        onError(e as Error);
      }
    });
  }

  /** Sends; 0 or the errno of the failure (never throws for a network error). */
  send(message: Uint8Array, destination: Uint8Array, source: Uint8Array | null): number {
    if (this.closed) return 9; // EBADF
    return this.native.send(this.h, message, message.length, destination, source);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.close(this.h);
  }
}
