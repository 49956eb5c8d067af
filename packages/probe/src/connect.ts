/**
 * The connection steps: real packets from an appliance IPv6 source to an
 * address under the prefix, through the kernel's route, the TUN device and
 * the translator. Each function returns what it saw (never throws for a
 * network failure); diagnose.ts names the culprit.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, rootCertificates, type TLSSocket } from 'node:tls';
import DgramAsPromised, { TimeoutError } from 'dgram-as-promised';

/** What a connection attempt ended with: connected, an errno code, or "timeout". */
export type ConnectOutcome = { readonly ok: true; readonly socket: Socket } | { readonly ok: false; readonly code: string; readonly message: string };

/** The source address the kernel picks toward `dst6` (no packet is sent). */
export async function kernelSource(dst6: string): Promise<string> {
  const s = createSocket('udp6');
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.connect(9, dst6, () => resolve());
    });
    return s.address().address;
  } finally {
    s.close();
  }
}

/** A TCP handshake to [dst6]:port from `source6`, bounded by `timeoutMs`. */
export function tcpConnect(dst6: string, port: number, source6: string | undefined, timeoutMs: number): Promise<ConnectOutcome> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: dst6, port, family: 6, ...(source6 ? { localAddress: source6 } : {}) });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, code: 'timeout', message: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      resolve({ ok: true, socket });
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok: false, code: e.code ?? 'error', message: e.message });
    });
  });
}

export type TlsOutcome = { readonly ok: true; readonly socket: TLSSocket; readonly protocol: string; readonly subject: string } | { readonly ok: false; readonly code: string; readonly reason: string };

/** Loads extra CA certificates (PEM) next to the built-in roots. */
export async function trustStore(caFile: string | undefined): Promise<string[] | undefined> {
  if (caFile === undefined) return undefined;
  return [...rootCertificates, await readFile(caFile, 'utf8')];
}

/**
 * A TLS handshake over `socket` with SNI `servername` (omitted for an IPv4
 * literal, RFC 6066 §3); chain and name are checked unless `insecure`.
 */
export function tlsHandshake(socket: Socket, servername: string | undefined, opts: { insecure: boolean; ca: string[] | undefined; timeoutMs: number }): Promise<TlsOutcome> {
  return new Promise((resolve) => {
    const s = tlsConnect({ socket, ...(servername ? { servername } : {}), rejectUnauthorized: !opts.insecure, ...(opts.ca ? { ca: opts.ca } : {}), ALPNProtocols: ['http/1.1'] });
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ ok: false, code: 'timeout', reason: `no handshake within ${opts.timeoutMs} ms` });
    }, opts.timeoutMs);
    s.once('secureConnect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      s.on('error', () => undefined);
      const cert = s.getPeerCertificate();
      resolve({ ok: true, socket: s, protocol: s.getProtocol() ?? '?', subject: String(cert?.subject?.CN ?? '') });
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      s.destroy();
      resolve({ ok: false, code: e.code ?? 'error', reason: e.message });
    });
  });
}

/** What an HTTP exchange returned; `stalled` when data stopped coming for `stallMs`. */
export interface HttpObservation {
  readonly status?: number;
  readonly bytes: number;
  readonly ms: number;
  readonly complete: boolean;
  readonly stalled: boolean;
  /** The first 64 KiB of the body, for the substring check. */
  readonly head: string;
  readonly error?: string;
}

const BODY_KEEP = 64 * 1024;
const BODY_MAX = 64 * 1024 * 1024;

/** GET `path` with Host `host` over an open connection; bounded by `stallMs` of silence and `timeoutMs` in all. */
export function httpGet(socket: Socket, host: string, path: string, opts: { stallMs: number; timeoutMs: number }): Promise<HttpObservation> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let bytes = 0;
    let status: number | undefined;
    let head = '';
    let done = false;
    let stall: NodeJS.Timeout | undefined;
    const finish = (o: Partial<HttpObservation>): void => {
      if (done) return;
      done = true;
      clearTimeout(stall);
      clearTimeout(total);
      req.destroy();
      socket.destroy();
      resolve({ bytes, head, complete: false, stalled: false, ...(status !== undefined ? { status } : {}), ...o, ms: performance.now() - t0 });
    };
    const arm = (): void => {
      clearTimeout(stall);
      stall = setTimeout(() => finish({ stalled: true }), opts.stallMs);
    };
    const total = setTimeout(() => finish({ stalled: true, error: `not complete within ${opts.timeoutMs} ms` }), opts.timeoutMs);
    const req = httpRequest({ createConnection: () => socket, method: 'GET', path, headers: { host, 'user-agent': 'sixgate-probe', connection: 'close', accept: '*/*' } }, (res: IncomingMessage) => {
      status = res.statusCode;
      arm();
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (head.length < BODY_KEEP) head += chunk.subarray(0, BODY_KEEP - head.length).toString('utf8');
        if (bytes > BODY_MAX) finish({ complete: true });
        else arm();
      });
      res.on('end', () => finish({ complete: true }));
      res.on('error', (e) => finish({ error: e.message }));
    });
    req.on('error', (e) => finish({ error: e.message }));
    req.end();
    arm();
  });
}

export type UdpOutcome = { readonly ok: true; readonly bytes: number } | { readonly ok: false; readonly code: string; readonly message: string };

/** Sends `payload` to [dst6]:port from `source6` and waits for one datagram back. */
export async function udpExchange(dst6: string, port: number, source6: string | undefined, payload: Buffer, timeoutMs: number): Promise<UdpOutcome> {
  const sock = DgramAsPromised.createSocket('udp6');
  try {
    await sock.bind(source6 ? { address: source6 } : {});
    await new Promise<void>((resolve, reject) => {
      sock.socket.once('error', reject);
      sock.socket.connect(port, dst6, () => {
        sock.socket.removeListener('error', reject);
        resolve();
      });
    });
    // A connected socket takes no address: send on the underlying socket (the connection is what lets ICMP port unreachable come back as ECONNREFUSED).
    await new Promise<void>((resolve, reject) => sock.socket.send(payload, (e) => (e ? reject(e) : resolve())));
    sock.setTimeout(timeoutMs);
    const p = await sock.recv();
    return p === undefined ? { ok: false, code: 'closed', message: 'the socket closed' } : { ok: true, bytes: p.msg.length };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err instanceof TimeoutError) return { ok: false, code: 'timeout', message: `no datagram back within ${timeoutMs} ms` };
    return { ok: false, code: err.code ?? 'error', message: err.message };
  } finally {
    await sock.close().catch(() => undefined);
  }
}

export interface PingObservation {
  readonly sent: number;
  readonly received: number;
  /** The first ICMP error ping printed (e.g. "Destination unreachable: Administratively prohibited"). */
  readonly error?: string;
  readonly rttMs?: number;
}

/** Parses ping's (iputils) summary; pure. */
export function parsePing(out: string): PingObservation {
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(out);
  const rtt = /= [\d.]+\/([\d.]+)\//.exec(out);
  const err = /From \S+ icmp_seq=\d+ (.+)/.exec(out);
  return { sent: m ? Number(m[1]) : 0, received: m ? Number(m[2]) : 0, ...(err ? { error: err[1]!.trim() } : {}), ...(rtt ? { rttMs: Number(rtt[1]) } : {}) };
}

/** `count` ICMPv6 echo requests with the ping binary (iputils). */
export function ping(dst6: string, source6: string | undefined, count: number, timeoutMs: number): Promise<PingObservation & { spawnError?: string }> {
  const wait = Math.max(1, Math.ceil(timeoutMs / 1000));
  const args = ['-6', '-n', '-c', String(count), '-i', '0.2', '-W', String(wait), ...(source6 ? ['-I', source6] : []), dst6];
  return new Promise((resolve) => {
    let out = '';
    const child = spawn('ping', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 2000 + count * 200);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ sent: 0, received: 0, spawnError: `cannot run ping: ${e.message}` });
    });
    child.on('close', () => {
      clearTimeout(timer);
      resolve(parsePing(out));
    });
  });
}

/** Every way a probe touches the network, in one object so tests can replace it. */
export interface Network {
  query: typeof import('./dns.js').query;
  kernelSource: typeof kernelSource;
  tcpConnect: typeof tcpConnect;
  tlsHandshake: typeof tlsHandshake;
  httpGet: typeof httpGet;
  udpExchange: typeof udpExchange;
  ping: typeof ping;
  trustStore: typeof trustStore;
}
