/**
 * The lab's IPv4-only server: the zone's authoritative DNS (UDP and TCP,
 * RFC 1035 §4.2) and a web page that shows which address the request came
 * from — sixgate's pool4, proving the client's IPv6 packets were translated.
 * `sixgate lab up` runs it inside the server namespace (`sixgate lab serve`).
 */
import { createSocket } from 'node:dgram';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, isIP, type Server as TcpServer, type Socket } from 'node:net';
import { answerQuery, type LabZone } from './dns-zone.js';

export interface LabServerOptions {
  readonly zone: LabZone;
  /** IPv4 address to bind. */
  readonly host: string;
  /** DNS port (UDP and TCP); 0 picks a free one (tests). */
  readonly dnsPort: number;
  /** HTTP port; 0 picks a free one (tests). */
  readonly httpPort: number;
}

export interface LabServer {
  readonly dnsPort: number;
  readonly httpPort: number;
  close(): Promise<void>;
}

/** The page: plain HTML, with the peer address as the server saw it (only if it is an address). */
export function labPage(peer: string, zone: LabZone): string {
  return [
    '<!doctype html>',
    '<title>sixgate lab</title>',
    `<h1>Hello from the IPv4-only server (${zone.apex})</h1>`,
    `<p>This server has no IPv6 at all. Your request arrived from <b>${isIP(peer) ? peer : 'an unknown address'}</b>,`,
    'an address of sixgate&#39;s IPv4 pool: your IPv6 packets were translated by NAT64,',
    'after DNS64 synthesized the AAAA record you connected to.</p>',
    '',
  ].join('\n');
}

const MAX_TCP_MESSAGE = 65535;

/** Serves DNS over one TCP connection: 2-byte length prefix per message (RFC 1035 §4.2.2). */
function serveTcpDns(sock: Socket, zone: LabZone): void {
  let buf = Buffer.alloc(0);
  sock.setTimeout(10_000, () => sock.destroy());
  sock.on('error', () => sock.destroy());
  sock.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    if (buf.length > MAX_TCP_MESSAGE + 2) return void sock.destroy();
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (buf.length < 2 + len) break;
      const reply = answerQuery(buf.subarray(2, 2 + len), zone);
      buf = buf.subarray(2 + len);
      if (!reply) return void sock.destroy();
      const framed = Buffer.alloc(2 + reply.length);
      framed.writeUInt16BE(reply.length, 0);
      framed.set(reply, 2);
      sock.write(framed);
    }
  });
}

const listenTcp = (srv: TcpServer | HttpServer, port: number, host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, host, () => {
      const addr = srv.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });

/** Starts DNS (UDP + TCP) and HTTP; resolves once all three listen. */
export async function startLabServer(opts: LabServerOptions): Promise<LabServer> {
  const udp = createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    const reply = answerQuery(msg, opts.zone);
    if (reply) udp.send(reply, rinfo.port, rinfo.address);
  });
  udp.on('error', () => undefined);
  const dnsPort = await new Promise<number>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(opts.dnsPort, opts.host, () => resolve(udp.address().port));
  });
  const conns = new Set<Socket>();
  const tcp = createTcpServer((s) => {
    conns.add(s);
    s.on('close', () => conns.delete(s));
    serveTcpDns(s, opts.zone);
  });
  await listenTcp(tcp, dnsPort, opts.host);
  const http = createHttpServer((req, res) => {
    if (req.url?.startsWith('/stream') === true) {
      streamTicks(req, res);
      return;
    }
    const body = labPage(req.socket.remoteAddress ?? 'unknown', opts.zone);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  const httpPort = await listenTcp(http, opts.httpPort, opts.host);
  return {
    dnsPort,
    httpPort,
    close: async () => {
      udp.close();
      http.closeAllConnections();
      for (const s of conns) s.destroy();
      await Promise.all([new Promise((r) => tcp.close(r)), new Promise((r) => http.close(r))]);
    },
  };
}

/**
 * `GET /stream[?seconds=N]`: a long-lived connection for watching a failover
 * (`sixgate lab up --ha`): one line per second, `tick <n> <time> from
 * <address>:<port>` (the address and port the server sees: sixgate's pool4
 * binding, which must not change when the pair fails over), for N seconds
 * (default 3600, at most 86400), then the response ends.
 */
function streamTicks(req: IncomingMessage, res: ServerResponse): void {
  const asked = Number(new URL(req.url ?? '/', 'http://lab').searchParams.get('seconds') ?? '3600');
  if (!Number.isInteger(asked) || asked < 1 || asked > 86_400) {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('seconds must be an integer from 1 to 86400\n');
    return;
  }
  const from = `${req.socket.remoteAddress ?? 'unknown'}:${req.socket.remotePort ?? 0}`;
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  let n = 0;
  const tick = (): void => {
    n++;
    res.write(`tick ${n} ${new Date().toISOString()} from ${from}\n`);
    if (n >= asked) {
      clearInterval(timer);
      res.end();
    }
  };
  const timer = setInterval(tick, 1000);
  res.on('close', () => clearInterval(timer));
  tick();
}
