#!/usr/bin/env node
// The IPv4-only servers the probe end-to-end test aims at, run inside a namespace:
//   probe-servers.mjs <dir>
// HTTP on :80 (/ small, /error 500, /big.bin 256 KiB), HTTPS on :443 with the
// self-signed certificate <dir>/self.{key,pem}, HTTPS on :8443 with the
// CA-signed one <dir>/leaf.{key,pem}, UDP echo on :7. Prints "listening" once all are up.
import { createServer as http } from 'node:http';
import { createServer as https } from 'node:https';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const big = Buffer.alloc(256 * 1024, 0x61);
const handler = (req, res) => {
  if (req.url === '/error') res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error\n');
  else if (req.url === '/big.bin') res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': big.length }).end(big);
  else res.writeHead(200, { 'content-type': 'text/plain' }).end('hello from the IPv4-only server\n');
};
const tls = (name) => ({ key: readFileSync(join(dir, `${name}.key`)), cert: readFileSync(join(dir, `${name}.pem`)) });
const servers = [
  [http(handler), 80],
  [https(tls('self'), handler), 443],
  [https(tls('leaf'), handler), 8443],
];
let up = 0;
const ready = () => {
  if (++up === servers.length + 1) console.log('listening');
};
for (const [s, port] of servers) s.listen(port, '0.0.0.0', ready);
const udp = createSocket('udp4');
udp.on('message', (m, r) => udp.send(m, r.port, r.address));
udp.bind(7, '0.0.0.0', ready);
