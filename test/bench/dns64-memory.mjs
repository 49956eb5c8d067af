#!/usr/bin/env node
// DNS64 memory under a sweep of unique names (issue: "memory bounded under a
// 1M-name sweep"). The real Dns64Server on 127.0.0.1 with an in-process
// upstream (every AAAA is NODATA with an SOA, every A has one record), and a
// client sending up to 1 000 000 queries for distinct names with a bounded
// window. Prints heap, RSS and cache size as the sweep goes; the cache must
// stay within its limits and the heap must level off.
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { createDns64Server } from '@sixgate/dns64';

const TOTAL = Number(process.env.SWEEP_NAMES ?? 1_000_000);
const MAX_SECONDS = Number(process.env.SWEEP_SECONDS ?? 120);
const WINDOW = 256;
const MAX_ENTRIES = 100_000;

const upstream = {
  async lookup(q) {
    const base = { type: 'response', id: 1, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE, questions: [{ name: q.name, type: q.type === 28 ? 'AAAA' : 'A', class: 'IN' }] };
    if (q.type === 28) {
      return dnsPacket.encode({ ...base, authorities: [{ name: 'sweep.example', type: 'SOA', ttl: 300, data: { mname: 'ns.sweep.example', rname: 'host.sweep.example', serial: 1, refresh: 3600, retry: 600, expiration: 86400, minimum: 300 } }] });
    }
    return dnsPacket.encode({ ...base, answers: [{ name: q.name, type: 'A', ttl: 600, data: '198.51.100.7' }] });
  },
  health: () => [],
};

const server = createDns64Server(
  { listen: ['127.0.0.1:0'], clients: ['127.0.0.0/8'], prefix: '2001:db8:64::/96', cache: { maxEntries: MAX_ENTRIES } },
  { upstream },
);
await server.start();
const port = server.addresses().find((a) => a.transport === 'udp').port;

// A receive buffer for the whole window: with the default (~208 KiB) a forced GC here dropped answers,
// which this client does not retry.
const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
let sent = 0;
let answered = 0;
let synthesized = 0;
const started = Date.now();
const rows = [];
const sample = () => {
  global.gc?.();
  const m = process.memoryUsage();
  const s = server.stats();
  rows.push({ names: answered, heapMiB: (m.heapUsed / 2 ** 20).toFixed(1), rssMiB: (m.rss / 2 ** 20).toFixed(1), extMiB: (m.external / 2 ** 20).toFixed(1), cacheEntries: s.cacheEntries, cacheMiB: (s.cacheBytes / 2 ** 20).toFixed(1), seconds: ((Date.now() - started) / 1000).toFixed(1) });
};
const query = (i) => dnsPacket.encode({ type: 'query', id: i & 0xffff, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: `n${i}.sweep.example`, type: 'AAAA', class: 'IN' }] });
sock.on('message', (m) => {
  answered++;
  if (m.length > 60) synthesized++;
  if (answered % (TOTAL >= 500_000 ? 100_000 : 25_000) === 0) sample();
  if (sent < TOTAL && Date.now() - started < MAX_SECONDS * 1000) sock.send(query(sent++), port, '127.0.0.1');
});
sample();
for (let i = 0; i < WINDOW; i++) sock.send(query(sent++), port, '127.0.0.1');
await new Promise((resolve) => {
  const t = setInterval(() => {
    const done = answered >= sent && (sent >= TOTAL || Date.now() - started >= MAX_SECONDS * 1000);
    const stalled = Date.now() - started > (MAX_SECONDS + 10) * 1000;
    if (done || stalled) {
      clearInterval(t);
      resolve();
    }
  }, 200);
});
sample();
sock.close();
await server.stop();
console.table(rows);
const last = rows.at(-1);
const peakHeap = Math.max(...rows.map((r) => Number(r.heapMiB)));
console.log(`names swept: ${answered} of ${sent} sent (${synthesized} synthesized answers) in ${last.seconds} s`);
console.log(`cache entries at the end: ${last.cacheEntries} (limit ${MAX_ENTRIES}); peak heap ${peakHeap} MiB, final RSS ${last.rssMiB} MiB`);
const ok = rows.every((r) => r.cacheEntries <= MAX_ENTRIES);
console.log(ok ? 'cache stayed within its entry limit' : 'CACHE EXCEEDED ITS LIMIT');
process.exit(ok ? 0 : 1);
