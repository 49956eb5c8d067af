/**
 * The sync link's transport: TCP with TLS 1.3 and an external pre-shared key
 * (RFC 8446 §2.2; node:tls `pskCallback`). Both sides must hold the same key;
 * a wrong key fails the handshake (the binder does not verify), which both
 * sides see as an error and count.
 */
import { readFile } from 'node:fs/promises';
import tls from 'node:tls';
import { HaError } from './errors.js';

/** The PSK identity both nodes use; the key, not the identity, is the secret. */
export const PSK_IDENTITY = 'sixgate-ha-1';
const CIPHERS = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';
/** Shortest key accepted: 32 bytes (256 bits). */
export const MIN_KEY_BYTES = 32;

/** Parses a hex key (whitespace ignored) of at least 32 bytes. */
export function parseKey(text: string): Buffer {
  const hex = text.replace(/\s+/g, '');
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2 !== 0) throw new HaError('ERR_HA_KEY', 'the HA key must be hex digits (e.g. from "openssl rand -hex 32")');
  if (hex.length < MIN_KEY_BYTES * 2) throw new HaError('ERR_HA_KEY', `the HA key must be at least ${MIN_KEY_BYTES} bytes (${MIN_KEY_BYTES * 2} hex digits), got ${hex.length / 2}`);
  return Buffer.from(hex, 'hex');
}

/** Reads a key file (hex); errors name the file. */
export async function readKeyFile(path: string): Promise<Buffer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new HaError('ERR_HA_KEY', `${path}: cannot read the HA key file (${(e as Error).message})`);
  }
  try {
    return parseKey(text);
  } catch (e) {
    throw new HaError('ERR_HA_KEY', `${path}: ${(e as Error).message}`);
  }
}

export function serverOptions(key: Buffer): tls.TlsOptions {
  return {
    minVersion: 'TLSv1.3',
    ciphers: CIPHERS,
    pskIdentityHint: PSK_IDENTITY,
    pskCallback: (_socket, identity) => (identity === PSK_IDENTITY ? key : null),
  };
}

export function clientOptions(key: Buffer, host: string, port: number): tls.ConnectionOptions {
  return {
    host,
    port,
    minVersion: 'TLSv1.3',
    ciphers: CIPHERS,
    pskCallback: () => ({ psk: key, identity: PSK_IDENTITY }),
    // No certificate: the PSK authenticates the server (RFC 8446 §4.2.11).
    checkServerIdentity: () => undefined,
  };
}

/** Is this TLS error a key mismatch (as opposed to a network failure)? */
export function isAuthFailure(e: NodeJS.ErrnoException): boolean {
  const c = e.code ?? '';
  return c === 'ERR_SSL_BINDER_DOES_NOT_VERIFY' || c.startsWith('ERR_SSL_SSLV3_ALERT_') || c === 'ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC' || c === 'ERR_SSL_NO_SUITABLE_KEY_SHARE' || /psk|binder|handshake/i.test(e.message);
}
