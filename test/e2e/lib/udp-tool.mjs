#!/usr/bin/env node
// Small UDP client/server for the end-to-end tests, run inside namespaces.
//   echo <port>                               echo server (IPv4 and IPv6), any size
//   ask <addr> <port> <size> [count]          send `count` datagrams of `size` bytes, print
//                                             {"sent","received","errors":[...]} after replies or 3 s
//   flows <addr> <port> <n> <windowMs>        n sockets (n new flows) each send one datagram within
//                                             windowMs; print how many got their echo back within 5 s
//   burst <addr> <port> <size> <count>        send `count` datagrams of `size` bytes back to back,
//                                             each numbered and filled from its number; print
//                                             {"sent","received","intact"} after all echoes or 5 s
//   tcp-echo <port>                           TCP echo server
//   tcp-echo-watch <port>                     TCP echo server that prints "accept", "error <code>" and
//                                             "close <bytes>" per connection (to see resets)
//   src-echo <port>                           UDP server answering "<n> <source addr>:<port>" to "<n>"
//   probe <addr> <port> <pps> <seconds>       one UDP socket sends "<n>" at <pps>; prints
//                                             {"sent","received","sources":[...],"maxGapMs"}: the
//                                             source addresses the server saw, and the longest time
//                                             without an answer
//   tcp-session <addr> <port>                 one TCP connection; each stdin line is sent, each echo
//                                             printed as "echo <line>"; errors as "error <code>"
//   http <addr> <port> <dir>                  static HTTP server for the files of <dir> (GET/HEAD);
//                                             one common-log line per request on stderr. Unlike
//                                             `python3 -m http.server` it never resolves a name
//                                             (python reverse-resolves its bind address at start)
import dgram from 'node:dgram';
import { createReadStream, statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join, normalize } from 'node:path';
import readline from 'node:readline';

const [mode, ...args] = process.argv.slice(2);
const fam = (a) => (a.includes(':') ? 'udp6' : 'udp4');

if (mode === 'echo') {
  const port = Number(args[0]);
  for (const type of ['udp4', 'udp6']) {
    const s = dgram.createSocket({ type, ipv6Only: type === 'udp6', recvBufferSize: 1 << 22, sendBufferSize: 1 << 22 });
    s.on('message', (m, r) => s.send(m, r.port, r.address));
    s.on('error', () => undefined);
    s.bind(port, type === 'udp4' ? '0.0.0.0' : '::');
  }
  console.log('listening');
} else if (mode === 'ask') {
  const [addr, port, size, count = '1'] = args;
  const s = dgram.createSocket(fam(addr));
  const want = Number(count);
  const payload = Buffer.alloc(Number(size));
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + 3) & 0xff;
  let received = 0;
  let intact = 0;
  const errors = [];
  const done = () => {
    console.log(JSON.stringify({ sent: want, received, intact, errors }));
    process.exit(0);
  };
  s.on('message', (m) => {
    received++;
    if (m.equals(payload)) intact++;
    if (received >= want) done();
  });
  s.on('error', (e) => {
    errors.push(e.code ?? e.message);
    if (errors.length >= want) done();
  });
  s.connect(Number(port), addr, () => {
    for (let i = 0; i < want; i++) s.send(payload);
  });
  setTimeout(done, 3000);
} else if (mode === 'flows') {
  const [addr, port, n, windowMs] = args;
  const total = Number(n);
  let answered = 0;
  const socks = [];
  const start = Date.now();
  let sent = 0;
  const finish = () => {
    console.log(JSON.stringify({ flows: total, sent, answered, sendMs: sendEnd - start }));
    process.exit(0);
  };
  let sendEnd = start;
  const per = Math.max(1, Math.ceil(total / Math.max(1, Number(windowMs) / 5)));
  const tick = () => {
    for (let k = 0; k < per && sent < total; k++) {
      const s = dgram.createSocket(fam(addr));
      socks.push(s);
      s.on('message', () => {
        answered++;
        s.close();
        if (answered >= total) finish();
      });
      s.on('error', () => undefined);
      s.send(Buffer.from(`flow ${sent}`), Number(port), addr);
      sent++;
    }
    if (sent < total) setTimeout(tick, 5);
    else sendEnd = Date.now();
  };
  tick();
  setTimeout(finish, 5000);
} else if (mode === 'burst') {
  const [addr, port, size, count] = args;
  const want = Number(count);
  const n = Math.max(4, Number(size));
  const fill = (i) => {
    const b = Buffer.alloc(n);
    b.writeUInt32BE(i, 0);
    for (let j = 4; j < n; j++) b[j] = (i * 31 + j * 7) & 0xff;
    return b;
  };
  const s = dgram.createSocket({ type: fam(addr), recvBufferSize: 1 << 23, sendBufferSize: 1 << 23 });
  const seen = new Set();
  let received = 0;
  let intact = 0;
  const done = () => {
    console.log(JSON.stringify({ sent: want, received, intact }));
    process.exit(0);
  };
  s.on('message', (m) => {
    received++;
    const i = m.length === n ? m.readUInt32BE(0) : -1;
    if (i >= 0 && i < want && !seen.has(i) && m.equals(fill(i))) {
      seen.add(i);
      intact++;
    }
    if (received >= want) done();
  });
  s.on('error', () => undefined);
  s.connect(Number(port), addr, () => {
    for (let i = 0; i < want; i++) s.send(fill(i));
  });
  setTimeout(done, 5000);
} else if (mode === 'tcp-echo') {
  const srv = net.createServer((c) => {
    c.on('error', () => undefined);
    c.pipe(c);
  });
  srv.listen(Number(args[0]), () => console.log('listening'));
} else if (mode === 'tcp-session') {
  const [addr, port] = args;
  const c = net.connect({ host: addr, port: Number(port) }, () => console.log('connected'));
  c.setEncoding('utf8');
  let buf = '';
  c.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      console.log(`echo ${buf.slice(0, i)}`);
      buf = buf.slice(i + 1);
    }
  });
  c.on('error', (e) => console.log(`error ${e.code ?? e.message}`));
  c.on('close', () => process.exit(0));
  readline.createInterface({ input: process.stdin }).on('line', (l) => c.write(`${l}\n`));
} else if (mode === 'tcp-echo-watch') {
  const srv = net.createServer((c) => {
    let bytes = 0;
    console.log('accept');
    c.on('data', (d) => (bytes += d.length));
    c.on('error', (e) => console.log(`error ${e.code ?? e.message}`));
    c.on('close', () => console.log(`close ${bytes}`));
    c.pipe(c);
  });
  srv.listen(Number(args[0]), () => console.log('listening'));
} else if (mode === 'src-echo') {
  const s = dgram.createSocket('udp4');
  s.on('message', (m, r) => s.send(`${m.toString()} ${r.address}:${r.port}`, r.port, r.address));
  s.bind(Number(args[0]), () => console.log('listening'));
} else if (mode === 'probe') {
  const [addr, port, pps, seconds] = args;
  const s = dgram.createSocket(fam(addr));
  const sources = new Set();
  const start = Date.now();
  let sent = 0;
  let received = 0;
  let last = start;
  let maxGapMs = 0;
  s.on('message', (m) => {
    received++;
    const now = Date.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
    sources.add(m.toString().split(' ')[1]);
  });
  s.on('error', () => undefined);
  const timer = setInterval(() => {
    if (Date.now() - start >= Number(seconds) * 1000) {
      clearInterval(timer);
      setTimeout(() => {
        console.log(JSON.stringify({ sent, received, sources: [...sources], maxGapMs }));
        process.exit(0);
      }, 500);
      return;
    }
    s.send(String(sent++), Number(port), addr);
  }, 1000 / Number(pps));
} else if (mode === 'http') {
  const [addr, port, dir] = args;
  const srv = http.createServer((req, res) => {
    const log = (status) => process.stderr.write(`${req.socket.remoteAddress} - - [${new Date().toISOString()}] "${req.method} ${req.url} HTTP/${req.httpVersion}" ${status} -\n`);
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const rel = normalize(path.endsWith('/') ? `${path}index.html` : path);
    let size = -1;
    try {
      if (!rel.startsWith('/') || rel.includes('..')) throw new Error('outside');
      const st = statSync(join(dir, rel));
      if (st.isFile()) size = st.size;
    } catch {
      size = -1;
    }
    if ((req.method !== 'GET' && req.method !== 'HEAD') || size < 0) {
      const status = size < 0 ? 404 : 405;
      log(status);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`${status}\n`);
      return;
    }
    log(200);
    res.writeHead(200, { 'content-length': size, 'content-type': rel.endsWith('.html') ? 'text/html' : 'application/octet-stream' });
    if (req.method === 'HEAD') res.end();
    else createReadStream(join(dir, rel)).pipe(res);
  });
  srv.listen(Number(port), addr, () => console.log('listening'));
} else {
  console.error('usage: udp-tool.mjs echo|ask|flows|burst|tcp-echo|tcp-echo-watch|tcp-session|src-echo|probe|http ...');
  process.exit(2);
}
