#!/usr/bin/env node
// Micro-benchmark of @sixgate/tun's read path: a kernel UDP flood routed into a
// LinuxTun inside a throw-away network namespace (sg-tun-bench-<pid>), read with
// onReadable + readFlat in 64-packet batches (up to 16 per wake-up). Reports packets/s, kernel drops (TUN
// queue full) and the reader's CPU µs per packet (user + sys, process.cpuUsage).
//
// Usage (root, after `npm run build -w @sixgate/tun`):
//   node test/bench/tun.mjs [rate1,rate2,...] [packetsPerRun]
// A rate of 0 means "as fast as the sender can go". Bounded: each run stops
// after its packet count or 10 s, whichever comes first.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { cleanEnv, removeNamespaceEtc, writeNamespaceEtc } from '../e2e/lib/hermetic.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const PKG = resolve(HERE, '../../packages/tun');
const DEV = 'sgbench0';
const RUN_LIMIT_MS = 10_000;

/** Paced UDP sender: bursts of 64 datagrams of 64 bytes, sleeping to hold `rate`. */
const SENDER = `
import socket, sys, time
rate, n = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
payload, dst = b'x' * 64, ('2001:db8:0:2::5', 9)
sent, t0 = 0, time.perf_counter()
while sent < n:
    for _ in range(min(64, n - sent)):
        s.sendto(payload, dst)
        sent += 1
    if rate > 0:
        d = t0 + sent / rate - time.perf_counter()
        if d > 0:
            time.sleep(d)
print(sent, time.perf_counter() - t0)
`;

async function reader(rate, count) {
  const { LinuxTun } = await import(pathToFileURL(join(PKG, 'dist/index.js')).href);
  const dev = LinuxTun.open({ name: DEV, mtu: 1500, batchSize: 64 });
  const ip = (...a) => execFileSync('ip', a);
  ip('-6', 'addr', 'add', '2001:db8:0:1::1/64', 'dev', DEV, 'nodad');
  ip('-6', 'route', 'add', '2001:db8:0:2::/64', 'dev', DEV);
  const SLOT = 28 + 1500;
  const arena = new Uint8Array(64 * SLOT);
  const sizes = new Int32Array(64);
  let got = 0;
  let touched = 0;
  dev.onReadable(() => {
    for (let b = 0; b < 16; b++) {
      const n = dev.readFlat(arena, SLOT, 28, sizes);
      got += n;
      for (let i = 0; i < n; i++) touched += arena[i * SLOT + 28]; // look at every packet once
      if (n < 64) break;
    }
  });
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const sender = spawn('python3', ['-c', SENDER, String(rate), String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let senderOut = '';
  sender.stdout.on('data', (d) => (senderOut += d));
  const limit = setTimeout(() => sender.kill('SIGKILL'), RUN_LIMIT_MS);
  await new Promise((r) => sender.on('exit', r));
  clearTimeout(limit);
  // let the last packets arrive; bounded
  for (let i = 0; i < 50 && got < count; i++) await new Promise((r) => setTimeout(r, 10));
  const cpu = process.cpuUsage(cpu0);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const stats = dev.stats();
  const link = JSON.parse(execFileSync('ip', ['-s', '-j', 'link', 'show', DEV], { encoding: 'utf8' }))[0];
  dev.close();
  const [sent, sendSecs] = senderOut.trim().split(' ').map(Number);
  process.stdout.write(
    JSON.stringify({
      rate,
      sent,
      sendSecs,
      got,
      kernelDrops: link.stats64?.tx?.dropped ?? null,
      secs,
      cpuUsPerPacket: got > 0 ? (cpu.user + cpu.system) / got : null,
      pktPerWakeup: stats.rxWakeups > 0 ? got / stats.rxWakeups : null,
      touched: touched > 0,
    }) + '\n',
  );
}

function main() {
  if (process.getuid?.() !== 0) throw new Error('bench needs root (network namespaces, /dev/net/tun)');
  const rates = (process.argv[2] ?? '50000,100000,200000,0').split(',').map(Number);
  const count = Number(process.argv[3] ?? 200_000);
  const ns = `sg-tun-bench-${process.pid}`;
  writeNamespaceEtc(ns); // hermetic: its own resolv.conf and hosts, made and removed with it
  execFileSync('ip', ['netns', 'add', ns]);
  const rows = [];
  try {
    for (const rate of rates) {
      const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, fileURLToPath(import.meta.url), '--reader', String(rate), String(count)], {
        encoding: 'utf8',
        timeout: RUN_LIMIT_MS + 5_000,
        killSignal: 'SIGKILL',
        env: cleanEnv(),
      });
      if (r.status !== 0) throw new Error(`reader failed (${r.status ?? r.signal}): ${r.stderr}`);
      rows.push(JSON.parse(r.stdout.trim()));
    }
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
    removeNamespaceEtc(ns);
  }
  console.log('offered pps | sent      | read      | kernel drops | read pps  | CPU µs/pkt | pkts/wake-up');
  for (const r of rows) {
    const offered = r.rate === 0 ? 'max' : String(r.rate);
    const pps = Math.round(r.got / r.sendSecs);
    console.log(
      [offered.padStart(11), String(r.sent).padStart(9), String(r.got).padStart(9), String(r.kernelDrops).padStart(12),
        String(pps).padStart(9), r.cpuUsPerPacket?.toFixed(2).padStart(10), r.pktPerWakeup?.toFixed(1).padStart(12)].join(' | '),
    );
  }
  console.log(JSON.stringify(rows));
}

if (process.argv[2] === '--reader') await reader(Number(process.argv[3]), Number(process.argv[4]));
else main();
