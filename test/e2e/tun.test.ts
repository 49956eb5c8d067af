/**
 * End-to-end test of @sixgate/tun's LinuxTun against the real kernel, inside a
 * fresh network namespace (`sg-tun-<pid>-<random>`). Each scenario runs as a child
 * process under `ip netns exec`, so the TUN device, its addresses and the
 * kernel-side UDP sockets all live in that namespace. The child imports the
 * package's built dist/ (rebuilt with `tsc -b` in beforeAll) and prints one
 * JSON line with what it observed; the assertions are made here.
 *
 * Addresses: 2001:db8:0:1::1/64 on the TUN, 2001:db8:0:2::/64 routed into it;
 * 192.0.2.1/24 on the TUN, 198.51.100.0/24 routed into it (RFC 3849, RFC 5737).
 * The gsoUdp scenario also forwards over a veth into a second namespace
 * (the same name + `-peer`, 203.0.113.0/24); afterAll removes both namespaces.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cleanEnv, removeNamespaceEtc, writeNamespaceEtc } from './lib/hermetic.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const PKG = join(ROOT, 'packages/tun');
const ADDON = join(PKG, 'build/Release/tun.node');
const NS = `sg-tun-${process.pid}-${randomBytes(2).toString('hex')}`;
/** A second namespace behind a veth, for packets the TUN namespace forwards (gsoUdp). */
const PEER = `${NS}-peer`;
const DEV = 'sgtun0';
let dir = '';
let script = '';
let nsCreated = false;
let peerCreated = false;

/** The child program: scenario name in argv[2], one JSON result line on stdout. */
const CHILD = String.raw`
import { LinuxTun } from ${JSON.stringify(pathToFileURL(join(PKG, 'dist/index.js')).href)};
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
const DEV = ${JSON.stringify(DEV)};
const sh = (...a) => execFileSync('ip', a, { encoding: 'utf8' });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Like sleep, but does not keep the process alive once the race is won. */
const deadline = (ms) => new Promise((r) => setTimeout(r, ms).unref());
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const errOf = (f) => { try { f(); return null; } catch (e) { return { code: e.code, name: e.constructor.name, message: e.message }; } };

function openConfigured(opts = {}) {
  const dev = LinuxTun.open({ name: DEV, mtu: 1500, batchSize: 64, ...opts });
  sh('-6', 'addr', 'add', '2001:db8:0:1::1/64', 'dev', DEV, 'nodad');
  sh('-6', 'route', 'add', '2001:db8:0:2::/64', 'dev', DEV);
  sh('addr', 'add', '192.0.2.1/24', 'dev', DEV);
  sh('route', 'add', '198.51.100.0/24', 'dev', DEV);
  return dev;
}

/** Sends UDP datagrams of the given payload sizes and waits until all left the socket. */
async function sendUdp(family, dst, port, sizes) {
  const s = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
  await Promise.all(sizes.map((n, i) => new Promise((res, rej) => {
    const p = Buffer.alloc(n, i & 0xff);
    s.send(p, port, dst, (e) => (e ? rej(e) : res()));
  })));
  s.close();
}

/** Our test packets only: the kernel also sends MLD/RS into a fresh interface. */
function udpDstPort(b, off, len) {
  const v = b[off] >> 4;
  if (v === 6 && len >= 48 && b[off + 6] === 17) return (b[off + 42] << 8) | b[off + 43];
  if (v === 4 && len >= 28 && b[off + 9] === 17) { const ihl = (b[off] & 15) * 4; return (b[off + ihl + 2] << 8) | b[off + ihl + 3]; }
  return -1;
}

function csum(parts) {
  let s = 0;
  for (const p of parts) for (let i = 0; i < p.length; i += 2) s += (p[i] << 8) | (p[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return (~s & 0xffff) || 0xffff;
}

/** IPv6/UDP packet at buf[off..], checksum per RFC 8200 §8.1; returns its length. */
function udp6(buf, off, src, dst, sport, dport, payload) {
  const ulen = 8 + payload.length, p = buf.subarray(off, off + 40 + ulen);
  p.fill(0); p[0] = 0x60; p[4] = ulen >> 8; p[5] = ulen & 255; p[6] = 17; p[7] = 64;
  p.set(src, 8); p.set(dst, 24);
  const u = p.subarray(40); u[0] = sport >> 8; u[1] = sport & 255; u[2] = dport >> 8; u[3] = dport & 255;
  u[4] = ulen >> 8; u[5] = ulen & 255; u.set(payload, 8);
  const c = csum([src, dst, Uint8Array.of(0, 0, ulen >> 8, ulen & 255, 0, 0, 0, 17), u]);
  u[6] = c >> 8; u[7] = c & 255;
  return p.length;
}

/** IPv4/UDP packet (RFC 791 header checksum, RFC 768 UDP checksum). */
function udp4(buf, off, src, dst, sport, dport, payload) {
  const ulen = 8 + payload.length, tot = 20 + ulen, p = buf.subarray(off, off + tot);
  p.fill(0); p[0] = 0x45; p[2] = tot >> 8; p[3] = tot & 255; p[8] = 64; p[9] = 17;
  p.set(src, 12); p.set(dst, 16);
  const h = csum([p.subarray(0, 20)]); p[10] = h >> 8; p[11] = h & 255;
  const u = p.subarray(20); u[0] = sport >> 8; u[1] = sport & 255; u[2] = dport >> 8; u[3] = dport & 255;
  u[4] = ulen >> 8; u[5] = ulen & 255; u.set(payload, 8);
  const c = csum([src, dst, Uint8Array.of(0, 17, ulen >> 8, ulen & 255), u]);
  u[6] = c >> 8; u[7] = c & 255;
  return tot;
}

/** This namespace's UDP counters from /proc/net/snmp. */
function snmpUdp() {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp: '));
  const keys = lines[0].split(/\s+/).slice(1), vals = lines[1].split(/\s+/).slice(1).map(Number);
  return Object.fromEntries(keys.map((k, i) => [k, vals[i]]));
}

/** 2001:db8:0:<subnet>::<host> as 16 bytes. */
const V6 = (subnet, host) => Uint8Array.of(0x20, 1, 0x0d, 0xb8, 0, 0, 0, subnet, 0, 0, 0, 0, 0, 0, 0, host);

/** One batch of \`count\` slots of offset+mtu bytes in one arena, with a view per slot. */
function allocBatch(count, mtu, offset = 0) {
  const slot = offset + mtu;
  const arena = new Uint8Array(count * slot);
  const bufs = Array.from({ length: count }, (_, i) => arena.subarray(i * slot, (i + 1) * slot));
  return { arena, slot, offset, bufs, sizes: new Int32Array(count) };
}
/** readFlat into the batch: packet i in bufs[i] at the batch's offset. */
const readB = (dev, b) => dev.readFlat(b.arena, b.slot, b.offset, b.sizes);
/** writeFlat of bufs[i][offset .. offset+lengths[i]) for i < count. */
const writeB = (dev, b, lengths, count) => dev.writeFlat(b.arena, Int32Array.from({ length: count }, (_, i) => i * b.slot + b.offset), lengths, count);
/** Reads batches until a short one, at most 16 (what the packet loop does per wake-up). */
function drain(dev, b, onBatch) {
  for (let i = 0; i < 16; i++) {
    const n = readB(dev, b);
    if (n === 0) break;
    onBatch(n);
    if (n < b.sizes.length) break;
  }
}

const scenarios = {
  // Kernel → TUN through the readiness callback, both families, sizes exact.
  async read() {
    const dev = openConfigured();
    const batch = allocBatch(64, 1500, 28);
    const seen = [];
    let wakeups = 0;
    dev.onReadable(() => {
      wakeups++;
      drain(dev, batch, (n) => {
        for (let i = 0; i < n; i++) {
          const len = batch.sizes[i], b = batch.bufs[i];
          const port = udpDstPort(b, 28, len);
          if (port === 40001) seen.push({ v: b[28] >> 4, len, headroom: b[27], first: b[28 + len - 1] });
        }
      });
    });
    const sizes = [0, 1, 100, 1000, 1452];
    await sendUdp(6, '2001:db8:0:2::5', 40001, sizes);
    await sendUdp(4, '198.51.100.5', 40001, sizes);
    for (let i = 0; i < 100 && seen.length < 10; i++) await sleep(10);
    dev.close();
    out({ seen, wakeups, mtu: dev.mtu(), name: dev.name(), udpGso: dev.udpGso, stats: dev.stats() });
  },

  // Many packets queued before reading: full batches, then 0 on EAGAIN (no throw).
  async batch() {
    const dev = openConfigured();
    const batch = allocBatch(64, 1500);
    const N = 200;
    await sendUdp(6, '2001:db8:0:2::6', 40002, Array.from({ length: N }, () => 64));
    await sleep(50);
    const counts = [];
    let ours = 0;
    for (let i = 0; i < 20; i++) {
      const n = readB(dev, batch);
      counts.push(n);
      for (let j = 0; j < n; j++) if (udpDstPort(batch.bufs[j], 0, batch.sizes[j]) === 40002) ours++;
      if (n === 0) break;
    }
    const again = readB(dev, batch);
    dev.close();
    out({ counts, ours, again, N });
  },

  // TUN → kernel: packets we write are delivered to sockets in the namespace.
  async write() {
    const dev = openConfigured();
    const r6 = dgram.createSocket('udp6'), r4 = dgram.createSocket('udp4');
    const got = [];
    const done = new Promise((res) => {
      const on = (fam) => (msg, rinfo) => { got.push({ fam, text: msg.toString(), from: rinfo.address, port: rinfo.port }); if (got.length === 2) res(); };
      r6.on('message', on(6)); r4.on('message', on(4));
    });
    await new Promise((r) => r6.bind(40003, '2001:db8:0:1::1', r));
    await new Promise((r) => r4.bind(40003, '192.0.2.1', r));
    const batch = allocBatch(4, 1500, 28);
    const lengths = new Int32Array(4);
    lengths[0] = udp6(batch.bufs[0], 28, V6(2, 5), V6(1, 1), 5353, 40003, Buffer.from('hello six'));
    // garbage (version nibble 0) and an oversized length: counted, batch goes on
    batch.bufs[1].fill(0, 28, 60); lengths[1] = 32;
    lengths[2] = 5000;
    lengths[3] = udp4(batch.bufs[3], 28, Uint8Array.of(198, 51, 100, 7), Uint8Array.of(192, 0, 2, 1), 5354, 40003, Buffer.from('hello four'));
    const written = writeB(dev, batch, lengths, 4);
    await Promise.race([done, deadline(2000)]);
    r6.close(); r4.close();
    const stats = dev.stats();
    dev.close();
    out({ written, got: got.sort((a, b) => a.fam - b.fam), stats });
  },

  // Packet longer than the buffer: dropped and counted, never returned cut short.
  async truncated() {
    const dev = openConfigured();
    await sendUdp(6, '2001:db8:0:2::8', 40004, [1000, 10]);
    await sleep(50);
    const small = allocBatch(8, 300);
    const lens = [];
    for (let i = 0; i < 10; i++) {
      const n = readB(dev, small);
      if (n === 0) break;
      for (let j = 0; j < n; j++) if (udpDstPort(small.bufs[j], 0, small.sizes[j]) === 40004) lens.push(small.sizes[j]);
    }
    const stats = dev.stats();
    dev.close();
    out({ lens, stats });
  },

  // Name in use: another owner (EBUSY), a non-TUN interface (EINVAL); multi-queue shares.
  async busy() {
    const a = LinuxTun.open({ name: DEV });
    const again = errOf(() => LinuxTun.open({ name: DEV }));
    const lo = errOf(() => LinuxTun.open({ name: 'lo' }));
    const mqA = LinuxTun.open({ name: 'sgtunmq', multiQueue: true });
    const mqB = LinuxTun.open({ name: 'sgtunmq', multiQueue: true });
    const mixed = errOf(() => LinuxTun.open({ name: 'sgtunmq' }));
    const badName = errOf(() => LinuxTun.open({ name: 'x'.repeat(16) }));
    a.close(); mqA.close(); mqB.close();
    const reopened = LinuxTun.open({ name: DEV });
    reopened.close();
    out({ again, lo, mixed, badName, mqNames: [mqA.name(), mqB.name()], reopenedName: reopened.name() });
  },

  // MTU and link state through ioctls, checked against iproute2's view.
  async mtu() {
    const dev = LinuxTun.open({ name: DEV, mtu: 1280, up: false });
    const show = () => sh('-o', 'link', 'show', DEV);
    const initial = show();
    dev.up();
    const upped = show();
    dev.setMtu(9000);
    const big = show();
    const bad = errOf(() => dev.setMtu(70000));
    dev.down();
    const downed = show();
    const b = allocBatch(1, 100);
    const wrote = writeB(dev, b, Int32Array.of(udp6(b.bufs[0], 0, V6(2, 5), V6(1, 1), 1, 2, Buffer.from('x'))), 1);
    const stats = dev.stats();
    // Renamed behind our back: the ioctls address a name that is gone.
    sh('link', 'set', DEV, 'name', 'sgtunrn');
    const renamed = errOf(() => dev.setMtu(1400));
    dev.close();
    out({ initial, upped, big, bad, downed, mtu: dev.mtu(), wrote, stats, renamed });
  },

  // close(): poll stopped (the process must exit on its own), device removed, ops throw.
  async close() {
    const dev = LinuxTun.open({ name: DEV });
    dev.onReadable(() => {});
    const b = allocBatch(1, 100);
    dev.close();
    dev.close();
    const read = errOf(() => readB(dev, b));
    const write = errOf(() => writeB(dev, b, Int32Array.of(20), 1));
    let linkGone = false;
    try { sh('link', 'show', DEV); } catch { linkGone = true; }
    out({ read, write, linkGone, closed: dev.closed });
  },

  // Teardown with the poll still open: a terminated worker, then process.exit().
  // (Regression: closing the poll from the GC finalizer ran its close callback
  // after the worker had unloaded the addon: SIGSEGV.)
  async teardown() {
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(
      'import(' + JSON.stringify(${JSON.stringify(pathToFileURL(join(PKG, 'dist/index.js')).href)}) + ').then(({ LinuxTun }) => {' +
      '  globalThis.dev = LinuxTun.open({ name: "sgtunw" }); dev.onReadable(() => {});' +
      '  require("node:worker_threads").parentPort.postMessage("open"); });',
      { eval: true },
    );
    await new Promise((r) => w.once('message', r));
    const whileOpen = sh('-br', 'link').includes('sgtunw');
    const code = await w.terminate();
    await sleep(50);
    const afterTerminate = sh('-br', 'link').includes('sgtunw');
    const dev = LinuxTun.open({ name: DEV });
    dev.onReadable(() => {});
    out({ whileOpen, code, afterTerminate });
    process.exit(0);
  },

  // An exception thrown by the onReadable callback is an ordinary uncaught exception.
  async throws() {
    const dev = openConfigured();
    const caught = new Promise((r) => process.once('uncaughtException', r));
    dev.onReadable(() => { throw new Error('boom in onReadable'); });
    await sendUdp(6, '2001:db8:0:2::9', 40005, [1]);
    const e = await Promise.race([caught, deadline(2000)]);
    dev.close();
    out({ message: e?.message ?? null });
  },

  // Bad batch arguments from JS are ERR_TUN_ARGUMENT, not crashes.
  async args() {
    const dev = LinuxTun.open({ name: DEV });
    const b = allocBatch(2, 100);
    const res = {
      offsetPastEnd: errOf(() => dev.readFlat(b.arena, b.slot, 100, b.sizes)),
      notTyped: errOf(() => dev.readFlat([{}, {}], b.slot, 0, b.sizes)),
      sizesWrongType: errOf(() => dev.readFlat(b.arena, b.slot, 0, new Uint32Array(2))),
      writeNotTyped: errOf(() => dev.writeFlat(['x'], Int32Array.of(0), Int32Array.of(1), 1)),
      writeOffsetsWrongType: errOf(() => dev.writeFlat(b.arena, [0, 100], Int32Array.of(20, 20), 2)),
      readFractionalOffset: errOf(() => dev.readFlat(b.arena, b.slot, 0.5, b.sizes)),
    };
    res.negativeCountWrote = { n: dev.writeFlat(b.arena, Int32Array.of(0, 100), Int32Array.of(20, 20), -1), tx: dev.stats() };
    dev.close();
    out(res);
  },

  // Flat arena: batch read of queued packets into slots, truncation counted,
  // writeFlat delivered to sockets, bad offsets/lengths counted.
  async flat() {
    const dev = openConfigured();
    const SLOT = 28 + 300, N = 100;
    await sendUdp(6, '2001:db8:0:2::9', 40005, [...Array.from({ length: N }, () => 64), 1000]);
    await sleep(50);
    const sizes = new Int32Array(64);
    // An arena with room for only 3 slots caps the batch at 3.
    const three = new Uint8Array(3 * SLOT + 5);
    const counts = [dev.readFlat(three, SLOT, 28, sizes)];
    let ours = 0, oursLens = new Set(), headroomOk = true;
    const tally = (arena, n) => {
      for (let j = 0; j < n; j++) {
        if (arena[j * SLOT + 27] !== 0xa5 && arena !== three) headroomOk = false;
        if (udpDstPort(arena, j * SLOT + 28, sizes[j]) === 40005) { ours++; oursLens.add(sizes[j]); }
      }
    };
    tally(three, counts[0]);
    const arena = new Uint8Array(64 * SLOT);
    for (let i = 0; i < 20; i++) {
      arena.fill(0xa5);
      const n = dev.readFlat(arena, SLOT, 28, sizes);
      counts.push(n);
      tally(arena, n);
      if (n === 0) break;
    }
    const rx = dev.stats();
    const r6 = dgram.createSocket('udp6'), r4 = dgram.createSocket('udp4');
    const got = [];
    const done = new Promise((res) => {
      const on = (fam) => (msg, rinfo) => { got.push({ fam, text: msg.toString(), from: rinfo.address, port: rinfo.port }); if (got.length === 2) res(); };
      r6.on('message', on(6)); r4.on('message', on(4));
    });
    await new Promise((r) => r6.bind(40006, '2001:db8:0:1::1', r));
    await new Promise((r) => r4.bind(40006, '192.0.2.1', r));
    const w = new Uint8Array(4096);
    const offs = new Int32Array(6), lens = new Int32Array(6);
    offs[0] = 100; lens[0] = udp6(w, 100, V6(2, 5), V6(1, 1), 5355, 40006, Buffer.from('flat six'));
    offs[1] = -1; lens[1] = 40; // negative offset
    offs[2] = 4090; lens[2] = 40; // runs past the arena
    offs[3] = 2001; lens[3] = udp4(w, 2001, Uint8Array.of(198, 51, 100, 7), Uint8Array.of(192, 0, 2, 1), 5356, 40006, Buffer.from('flat four'));
    offs[4] = 0; lens[4] = 0; // empty
    offs[5] = 4096; lens[5] = 1; // starts at the end
    const written = dev.writeFlat(w, offs, lens, 6);
    await Promise.race([done, deadline(2000)]);
    r6.close(); r4.close();
    const tx = dev.stats();
    const bad = {
      offsetAtSlot: errOf(() => dev.readFlat(arena, SLOT, SLOT, sizes)),
      zeroSlot: errOf(() => dev.readFlat(arena, 0, 0, sizes)),
      notTyped: errOf(() => dev.writeFlat([1, 2], offs, lens, 1)),
      offsetsWrongType: errOf(() => dev.writeFlat(w, new Uint32Array(1), lens, 1)),
    };
    const negativeCount = dev.writeFlat(w, offs, lens, -1);
    dev.close();
    const closed = errOf(() => dev.readFlat(arena, SLOT, 28, sizes));
    out({ counts, ours, oursLens: [...oursLens], headroomOk, N, rx, written, got: got.sort((a, b) => a.fam - b.fam), tx, bad, negativeCount, closed });
  },

  // Offload (IFF_VNET_HDR + TUNSETOFFLOAD): UDP from local sockets comes with a
  // NEEDS_CSUM header whose completion is right; a packet with a partial
  // checksum and its header is accepted on write; a header that does not fit
  // the packet is refused by the kernel and counted.
  async offload() {
    const dev = openConfigured({ offload: true });
    const SLOT = 28 + 65535 + 64;
    await sendUdp(6, '2001:db8:0:2::9', 40011, [100, 1000]);
    await sendUdp(4, '198.51.100.9', 40011, [100, 1000]);
    await sleep(50);
    const arena = new Uint8Array(8 * SLOT), sizes = new Int32Array(8), vnet = new Uint8Array(8 * 10);
    const seen = [];
    for (let round = 0; round < 5; round++) {
      const n = dev.readFlat(arena, SLOT, 28, sizes, vnet);
      for (let j = 0; j < n; j++) {
        const off = j * SLOT + 28, len = sizes[j];
        if (udpDstPort(arena, off, len) !== 40011) continue;
        const h = vnet.subarray(j * 10, j * 10 + 10), dv = new DataView(h.buffer, h.byteOffset);
        const p = arena.slice(off, off + len);
        const cs = dv.getUint16(6, true), co = dv.getUint16(8, true);
        // Complete as a NIC would: sum from csum_start (the field holds the pseudo-header sum).
        const c = csum([p.subarray(cs)]);
        p[cs + co] = c >> 8; p[cs + co + 1] = c & 255;
        const v = p[0] >> 4, l4 = v === 6 ? 40 : 20, ulen = len - l4;
        const pseudo = v === 6 ? [p.subarray(8, 40), Uint8Array.of(0, 0, ulen >> 8, ulen & 255, 0, 0, 0, 17)] : [p.subarray(12, 20), Uint8Array.of(0, 17, ulen >> 8, ulen & 255)];
        seen.push({ v, len, flags: h[0], gso: h[1], cs, co, valid: csum([...pseudo, p.subarray(l4)]) === 0xffff });
      }
      if (n === 0) break;
    }
    const r6 = dgram.createSocket('udp6');
    const got = [];
    const done = new Promise((res) => r6.on('message', (m) => { got.push(m.toString()); if (got.length === 2) res(); }));
    await new Promise((r) => r6.bind(40012, '2001:db8:0:1::1', r));
    const w = new Uint8Array(2048), offs = new Int32Array(3), lens = new Int32Array(3), hdrs = new Uint8Array(30);
    // 0: partial checksum (pseudo-header sum only) + NEEDS_CSUM at 40/6.
    offs[0] = 0; lens[0] = udp6(w, 0, V6(2, 5), V6(1, 1), 5400, 40012, Buffer.from('partial'));
    const ulen = lens[0] - 40, ps = (~csum([w.subarray(8, 40), Uint8Array.of(0, 0, ulen >> 8, ulen & 255, 0, 0, 0, 17)])) & 0xffff;
    w[46] = ps >> 8; w[47] = ps & 255;
    hdrs[0] = 1; hdrs[6] = 40; hdrs[8] = 6;
    // 1: complete checksum, all-zero header.
    offs[1] = 512; lens[1] = udp6(w, 512, V6(2, 5), V6(1, 1), 5401, 40012, Buffer.from('complete'));
    // 2: a header whose checksum position lies beyond the packet: the kernel refuses it.
    offs[2] = 1024; lens[2] = udp6(w, 1024, V6(2, 5), V6(1, 1), 5402, 40012, Buffer.from('bad'));
    hdrs[20] = 1; hdrs[26] = 0xe8; hdrs[27] = 3; hdrs[28] = 6;
    const written = dev.writeFlat(w, offs, lens, 3, hdrs);
    await Promise.race([done, deadline(2000)]);
    r6.close();
    const tx = dev.stats();
    const badVnet = errOf(() => dev.readFlat(arena, SLOT, 28, sizes, [1, 2]));
    dev.close();
    out({ offload: dev.offload, udpGso: dev.udpGso, seen: seen.sort((a, b) => a.v - b.v || a.len - b.len), written, got: got.sort(), tx, badVnet });
  },

  // Gather (writeFlat with parts): one IPv4/UDP packet written from 3 pieces
  // scattered in the arena (header, then two payload pieces) arrives whole at
  // a socket. Around it in the same call, bad packets are counted, not fatal:
  // 0 pieces, 65 pieces, a piece outside the arena, and last one whose
  // pieces run past the arrays.
  async gather() {
    const dev = openConfigured();
    const r4 = dgram.createSocket('udp4');
    const got = [];
    const done = new Promise((res) => r4.on('message', (m, rinfo) => { got.push({ hex: m.toString('hex'), from: rinfo.address, port: rinfo.port }); res(); }));
    await new Promise((r) => r4.bind(40021, '192.0.2.1', r));
    const payload = Buffer.from(Array.from({ length: 213 }, (_, i) => (i * 13 + 5) & 255));
    const whole = new Uint8Array(28 + payload.length);
    udp4(whole, 0, Uint8Array.of(198, 51, 100, 7), Uint8Array.of(192, 0, 2, 1), 5360, 40021, payload);
    // The pieces lie out of order in the arena, with other bytes between them.
    const arena = new Uint8Array(4096).fill(0xee);
    const at = [1000, 3001, 200], len = [28, 13, 200];
    let from = 0;
    for (let q = 0; q < 3; q++) { arena.set(whole.subarray(from, from + len[q]), at[q]); from += len[q]; }
    const offsets = Int32Array.from([...Array(65).fill(0), 4000, ...at, 0]);
    const lengths = Int32Array.from([...Array(65).fill(1), 100, ...len, 1]);
    const written = dev.writeFlat(arena, offsets, lengths, 5, undefined, Int32Array.of(0, 65, 1, 3, 2));
    await Promise.race([done, deadline(2000)]);
    r4.close();
    const tx = dev.stats();
    const badParts = errOf(() => dev.writeFlat(arena, offsets, lengths, 1, undefined, [3]));
    dev.close();
    out({ written, got, want: payload.toString('hex'), tx, badParts });
  },

  // UDP GSO super-packets (gso_type UDP_L4), each gathered from an IPv4/UDP
  // header piece and 5 payload pieces of gso_size bytes, both in one call:
  // one for a socket in this namespace, where the kernel cuts it into 5
  // datagrams; one forwarded over a veth with tx checksum offload off into
  // the peer namespace, so the kernel finishes every segment's checksum in
  // software and the receiving kernel verifies it (a socket in this namespace
  // alone would accept any partial checksum: the segments stay
  // CHECKSUM_PARTIAL up to the socket).
  async gsoUdp() {
    const dev = openConfigured({ offload: true });
    const [, , , peerNs] = process.argv;
    sh('link', 'add', 'sgtunv0', 'type', 'veth', 'peer', 'name', 'sgtunv1', 'netns', peerNs);
    sh('addr', 'add', '203.0.113.1/24', 'dev', 'sgtunv0');
    sh('link', 'set', 'sgtunv0', 'up');
    sh('-n', peerNs, 'addr', 'add', '203.0.113.2/24', 'dev', 'sgtunv1');
    sh('-n', peerNs, 'link', 'set', 'sgtunv1', 'up');
    sh('-n', peerNs, 'route', 'add', 'default', 'via', '203.0.113.1');
    execFileSync('ethtool', ['-K', 'sgtunv0', 'tx', 'off'], { stdio: 'ignore' });
    writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
    const SEG = 64, NSEG = 5;
    const seg = (tag, i) => Uint8Array.from({ length: SEG }, (_, j) => (j === 0 ? i : (tag * 101 + i * 37 + j * 3) & 255));
    const want = (tag) => Array.from({ length: NSEG }, (_, i) => Buffer.from(seg(tag, i)).toString('hex'));
    // The peer's receiver: another run of this script inside the peer namespace.
    const peer = spawn('ip', ['netns', 'exec', peerNs, process.execPath, process.argv[1], 'recv', '203.0.113.2', '40023', String(NSEG)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let peerOut = '';
    peer.stdout.on('data', (d) => (peerOut += d));
    const peerDone = new Promise((r) => peer.on('close', r));
    for (let i = 0; i < 300 && !peerOut.includes('ready'); i++) await sleep(10);
    const r4 = dgram.createSocket('udp4');
    const got = [];
    const done = new Promise((res) => r4.on('message', (m) => { got.push(m.toString('hex')); if (got.length === NSEG) res(); }));
    await new Promise((r) => r4.bind(40022, '192.0.2.1', r));
    const before = snmpUdp();

    /** IPv4/UDP header of a super-packet of NSEG × SEG payload bytes, UDP checksum partial. */
    const gsoHeader = (src, dst, sport, dport) => {
      // IP total length and UDP length cover the whole super-packet.
      const ulen = 8 + NSEG * SEG, tot = 20 + ulen, h = new Uint8Array(28);
      h[0] = 0x45; h[2] = tot >> 8; h[3] = tot & 255; h[8] = 64; h[9] = 17;
      h.set(src, 12); h.set(dst, 16);
      const ipc = csum([h.subarray(0, 20)]); h[10] = ipc >> 8; h[11] = ipc & 255;
      h[20] = sport >> 8; h[21] = sport & 255; h[22] = dport >> 8; h[23] = dport & 255;
      h[24] = ulen >> 8; h[25] = ulen & 255;
      // The folded pseudo-header sum (with the UDP length), not complemented.
      const ps = (~csum([src, dst, Uint8Array.of(0, 17, ulen >> 8, ulen & 255)])) & 0xffff;
      h[26] = ps >> 8; h[27] = ps & 255;
      return h;
    };
    const src = Uint8Array.of(198, 51, 100, 7);
    const arena = new Uint8Array(4096).fill(0xee);
    const at = [], len = [];
    // Packet number tag: its header piece, then its payload pieces, which lie in the arena back to front.
    [[Uint8Array.of(192, 0, 2, 1), 40022], [Uint8Array.of(203, 0, 113, 2), 40023]].forEach(([dst, dport], tag) => {
      const base = tag * 2048;
      arena.set(gsoHeader(src, dst, 5361, dport), base + 1500); at.push(base + 1500); len.push(28);
      for (let i = 0; i < NSEG; i++) { const o = base + 100 + (NSEG - 1 - i) * 200; arena.set(seg(tag, i), o); at.push(o); len.push(SEG); }
    });
    const vnet = new Uint8Array(20);
    for (const o of [0, 10]) {
      vnet[o] = 1;      // flags: NEEDS_CSUM
      vnet[o + 1] = 5;  // gso_type: UDP_L4
      vnet[o + 2] = 28; // hdr_len
      vnet[o + 4] = SEG; // gso_size
      vnet[o + 6] = 20; // csum_start
      vnet[o + 8] = 6;  // csum_offset
    }
    const written = dev.writeFlat(arena, Int32Array.from(at), Int32Array.from(len), 2, vnet, Int32Array.of(1 + NSEG, 1 + NSEG));
    await Promise.race([done, deadline(2000)]);
    await sleep(50); // anything beyond the 5 datagrams would show up here
    r4.close();
    const after = snmpUdp();
    const tx = dev.stats();
    await Promise.race([peerDone, deadline(5000)]);
    peer.kill('SIGKILL');
    dev.close();
    sh('link', 'del', 'sgtunv0');
    out({
      written, tx,
      local: { got, want: want(0), inDatagrams: after.InDatagrams - before.InDatagrams, inErrors: after.InErrors - before.InErrors, inCsumErrors: after.InCsumErrors },
      peer: { ...JSON.parse(peerOut.split('\n').find((l) => l.startsWith('{')) ?? '{}'), want: want(1) },
    });
  },

  // Receiver for gsoUdp, run inside the peer namespace: argv addr port n.
  async recv() {
    const [, , , addr, port, n] = process.argv;
    const s = dgram.createSocket('udp4');
    const got = [];
    const done = new Promise((res) => s.on('message', (m) => { got.push(m.toString('hex')); if (got.length === Number(n)) res(); }));
    await new Promise((r) => s.bind(Number(port), addr, r));
    const before = snmpUdp();
    process.stdout.write('ready\n');
    await Promise.race([done, deadline(3000)]);
    await sleep(50);
    s.close();
    const after = snmpUdp();
    out({ got, inDatagrams: after.InDatagrams - before.InDatagrams, inErrors: after.InErrors - before.InErrors, inCsumErrors: after.InCsumErrors });
  },
};

await scenarios[process.argv[2]]();
`;

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runChild(scenario: string, timeoutMs = 15_000, args: string[] = []): Run {
  const t0 = Date.now();
  const r = spawnSync('ip', ['netns', 'exec', NS, process.execPath, script, scenario, ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    env: cleanEnv(),
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}

/** Runs a scenario that must exit 0 and returns its JSON result. */
function scenario<T>(name: string, args: string[] = []): T {
  const r = runChild(name, 15_000, args);
  if (r.status !== 0) {
    throw new Error(`scenario ${name} failed (status ${r.status}, signal ${r.signal}):\n${r.stderr}\n${r.stdout}`);
  }
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as T;
}

interface ErrInfo {
  code: string;
  name: string;
  message: string;
}

beforeAll(() => {
  // Prerequisites fail loudly: a skipped e2e test would be a missing test.
  if (process.getuid?.() !== 0) throw new Error('tun e2e needs root (network namespaces and /dev/net/tun); run as root');
  if (!existsSync('/dev/net/tun')) throw new Error('tun e2e needs /dev/net/tun (modprobe tun)');
  if (spawnSync('ip', ['-V']).status !== 0) throw new Error('tun e2e needs iproute2 (`ip`)');
  if (!existsSync(ADDON)) throw new Error(`tun e2e needs the addon ${ADDON}: run \`npm run build:native -w @sixgate/tun\``);
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', PKG], { stdio: 'pipe' });
  dir = mkdtempSync(join(tmpdir(), 'sg-tun-'));
  script = join(dir, 'child.mjs');
  writeFileSync(script, CHILD);
  // Hermetic: both namespaces get their own resolv.conf/hosts/nsswitch.conf (removed in afterAll).
  writeNamespaceEtc(NS);
  writeNamespaceEtc(PEER);
  execFileSync('ip', ['netns', 'add', NS]);
  nsCreated = true;
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  execFileSync('ip', ['netns', 'add', PEER]);
  peerCreated = true;
  execFileSync('ip', ['-n', PEER, 'link', 'set', 'lo', 'up']);
});

afterAll(() => {
  if (nsCreated) spawnSync('ip', ['netns', 'del', NS]);
  if (peerCreated) spawnSync('ip', ['netns', 'del', PEER]);
  removeNamespaceEtc(NS);
  removeNamespaceEtc(PEER);
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('LinuxTun in a network namespace', () => {
  it('reads kernel-routed IPv6 and IPv4 UDP packets with exact sizes via onReadable', () => {
    const r = scenario<{
      seen: { v: number; len: number; headroom: number; first: number }[];
      wakeups: number;
      mtu: number;
      name: string;
      udpGso: boolean;
      stats: Record<string, number>;
    }>('read');
    expect(r.name).toBe(DEV);
    expect(r.udpGso).toBe(false); // no offload, no vnet headers to say GSO with
    expect(r.mtu).toBe(1500);
    const sizes = [0, 1, 100, 1000, 1452];
    const v6 = r.seen.filter((s) => s.v === 6).map((s) => s.len).sort((a, b) => a - b);
    const v4 = r.seen.filter((s) => s.v === 4).map((s) => s.len).sort((a, b) => a - b);
    expect(v6).toEqual(sizes.map((n) => 48 + n)); // IPv6 40 + UDP 8
    expect(v4).toEqual(sizes.map((n) => 28 + n)); // IPv4 20 + UDP 8
    expect(r.seen.every((s) => s.headroom === 0)).toBe(true); // nothing written before offset
    expect(r.wakeups).toBeGreaterThan(0);
    expect(r.stats.rxWakeups).toBe(r.wakeups);
    expect(r.stats.rxPackets).toBeGreaterThanOrEqual(10);
  });

  it('reads queued packets in full batches and returns 0 (not an error) on EAGAIN', () => {
    const r = scenario<{ counts: number[]; ours: number; again: number; N: number }>('batch');
    expect(r.ours).toBe(r.N);
    expect(r.counts.slice(0, 3)).toEqual([64, 64, 64]);
    expect(r.counts.at(-1)).toBe(0);
    expect(r.again).toBe(0);
  });

  it('writes packets the kernel delivers to sockets; bad packets are counted, not fatal', () => {
    const r = scenario<{
      written: number;
      got: { fam: number; text: string; from: string; port: number }[];
      stats: Record<string, number>;
    }>('write');
    expect(r.written).toBe(2);
    expect(r.got).toEqual([
      { fam: 4, text: 'hello four', from: '198.51.100.7', port: 5354 },
      { fam: 6, text: 'hello six', from: '2001:db8:0:2::5', port: 5353 },
    ]);
    expect(r.stats.txPackets).toBe(2);
    expect(r.stats.txErrors).toBe(2);
  });

  it('readFlat batches queued packets into arena slots; writeFlat delivers and counts bad entries', () => {
    const r = scenario<{
      counts: number[]; ours: number; oursLens: number[]; headroomOk: boolean; N: number;
      rx: Record<string, number>; written: number;
      got: { fam: number; text: string; from: string; port: number }[];
      tx: Record<string, number>; bad: Record<string, ErrInfo | null>; negativeCount: number; closed: ErrInfo | null;
    }>('flat');
    expect(r.counts[0]).toBe(3); // floor(arena.length / slot)
    expect(r.counts.slice(1, 2)).toEqual([64]);
    expect(r.counts.at(-1)).toBe(0);
    expect(r.ours).toBe(r.N); // the 1048-byte datagram does not fit a 300-byte slot
    expect(r.oursLens).toEqual([112]);
    expect(r.headroomOk).toBe(true);
    expect(r.rx.rxTruncated).toBeGreaterThanOrEqual(1);
    expect(r.written).toBe(2);
    expect(r.got).toEqual([
      { fam: 4, text: 'flat four', from: '198.51.100.7', port: 5356 },
      { fam: 6, text: 'flat six', from: '2001:db8:0:2::5', port: 5355 },
    ]);
    expect(r.tx.txPackets).toBe(2);
    expect(r.tx.txErrors).toBe(4);
    for (const e of Object.values(r.bad)) expect(e?.code).toBe('ERR_TUN_ARGUMENT');
    expect(r.negativeCount).toBe(0);
    expect(r.closed?.name).toBe('TunClosedError');
  });

  it('with offload, packets come and go with virtio_net_hdrs the kernel understands', () => {
    const r = scenario<{
      offload: boolean;
      udpGso: boolean;
      seen: { v: number; len: number; flags: number; gso: number; cs: number; co: number; valid: boolean }[];
      written: number; got: string[]; tx: Record<string, number>; badVnet: ErrInfo | null;
    }>('offload');
    expect(r.offload).toBe(true);
    // UDP GSO on write came with Linux 6.2 (TUN_F_USO4/6); the addon asks the kernel at open.
    const [major, minor] = release().split('.').map(Number) as [number, number];
    expect(r.udpGso).toBe(major > 6 || (major === 6 && minor >= 2));
    expect(r.seen).toEqual([
      { v: 4, len: 128, flags: 1, gso: 0, cs: 20, co: 6, valid: true },
      { v: 4, len: 1028, flags: 1, gso: 0, cs: 20, co: 6, valid: true },
      { v: 6, len: 148, flags: 1, gso: 0, cs: 40, co: 6, valid: true },
      { v: 6, len: 1048, flags: 1, gso: 0, cs: 40, co: 6, valid: true },
    ]);
    expect(r.written).toBe(2);
    expect(r.got).toEqual(['complete', 'partial']);
    expect(r.tx.txErrors).toBe(1);
    expect(r.badVnet?.code).toBe('ERR_TUN_ARGUMENT');
  });

  it('writeFlat with parts writes one packet gathered from 3 pieces that a socket receives intact; bad packets are counted', () => {
    const r = scenario<{
      written: number; got: { hex: string; from: string; port: number }[]; want: string;
      tx: Record<string, number>; badParts: ErrInfo | null;
    }>('gather');
    expect(r.written).toBe(3); // pieces, not packets
    expect(r.got).toEqual([{ hex: r.want, from: '198.51.100.7', port: 5360 }]);
    expect(r.tx).toMatchObject({ txPackets: 1, txBytes: 28 + 213, txErrors: 4 }); // 0, 65, outside, past the arrays
    expect(r.badParts?.code).toBe('ERR_TUN_ARGUMENT');
  });

  it('UDP GSO super-packets gathered from a header and 5 payload pieces arrive as 5 datagrams each, checksums verified', () => {
    interface Rx { got: string[]; want: string[]; inDatagrams: number; inErrors: number; inCsumErrors: number }
    const r = scenario<{ written: number; tx: Record<string, number>; local: Rx; peer: Rx }>('gsoUdp', [PEER]);
    expect(r.written).toBe(12); // pieces of the two packets
    expect(r.tx).toMatchObject({ txPackets: 2, txBytes: 2 * (28 + 5 * 64), txErrors: 0 });
    for (const [where, rx] of Object.entries({ local: r.local, peer: r.peer })) {
      expect(rx.got, where).toEqual(rx.want); // 5 × 64 bytes, in order
      expect(rx.inDatagrams, where).toBe(5);
      expect(rx.inErrors, where).toBe(0);
      expect(rx.inCsumErrors, where).toBe(0);
    }
  });

  it('drops and counts a packet longer than the read buffer', () => {
    const r = scenario<{ lens: number[]; stats: Record<string, number> }>('truncated');
    expect(r.lens).toEqual([58]); // the 10-byte datagram; the 1048-byte one was dropped
    expect(r.stats.rxTruncated).toBeGreaterThanOrEqual(1);
  });

  it('opening a name already in use is ERR_TUN_BUSY; multi-queue devices share a name', () => {
    const r = scenario<{
      again: ErrInfo;
      lo: ErrInfo;
      mixed: ErrInfo;
      badName: ErrInfo;
      mqNames: string[];
      reopenedName: string;
    }>('busy');
    expect(r.again.code).toBe('ERR_TUN_BUSY');
    expect(r.again.message).toContain('EBUSY');
    expect(r.lo.code).toBe('ERR_TUN_BUSY');
    expect(r.mixed.code).toBe('ERR_TUN_BUSY');
    expect(r.badName.code).toBe('ERR_TUN_ARGUMENT');
    expect(r.mqNames).toEqual(['sgtunmq', 'sgtunmq']);
    expect(r.reopenedName).toBe(DEV);
  });

  it('sets MTU and link state with ioctls, as iproute2 sees them', () => {
    const r = scenario<{
      initial: string;
      upped: string;
      big: string;
      bad: ErrInfo;
      downed: string;
      mtu: number;
      wrote: number;
      stats: Record<string, number>;
      renamed: ErrInfo;
    }>('mtu');
    expect(r.initial).toMatch(/mtu 1280 /);
    expect(r.initial).not.toMatch(/[<,]UP[,>]/);
    expect(r.upped).toMatch(/[<,]UP[,>]/);
    expect(r.big).toMatch(/mtu 9000 /);
    expect(r.mtu).toBe(9000);
    expect(r.bad.code).toBe('ERR_TUN_ARGUMENT');
    expect(r.downed).not.toMatch(/[<,]UP[,>]/);
    // the kernel refuses writes while down (EIO): counted, not thrown
    expect(r.wrote).toBe(0);
    expect(r.stats.txErrors).toBe(1);
    expect(r.renamed.code).toBe('ERR_TUN_CONFIG');
    expect(r.renamed.message).toContain('ENODEV');
  });

  it('close() stops the poll so the process exits by itself; the device is removed', () => {
    const r = runChild('close', 10_000);
    expect(r.signal, `child hung after close (poll still active?)\n${r.stderr}`).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.ms).toBeLessThan(5_000);
    const o = JSON.parse(r.stdout.trim()) as { read: ErrInfo; write: ErrInfo; linkGone: boolean; closed: boolean };
    expect(o.read).toMatchObject({ code: 'ERR_TUN_CLOSED', name: 'TunClosedError' });
    expect(o.write).toMatchObject({ code: 'ERR_TUN_CLOSED', name: 'TunClosedError' });
    expect(o.linkGone).toBe(true);
    expect(o.closed).toBe(true);
  });

  it('a worker terminated with the poll open and process.exit() with it open tear down cleanly', () => {
    const r = runChild('teardown', 10_000);
    expect(r.signal, `child died: ${r.stderr}`).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout.trim()) as { whileOpen: boolean; code: number; afterTerminate: boolean };
    expect(o).toEqual({ whileOpen: true, code: 1, afterTerminate: false });
  });

  it('an exception in the onReadable callback reaches uncaughtException', () => {
    expect(scenario<{ message: string | null }>('throws').message).toBe('boom in onReadable');
  });

  it('bad batch arguments are ERR_TUN_ARGUMENT, not crashes', () => {
    const { negativeCountWrote: neg, ...r } = scenario<Record<string, ErrInfo> & { negativeCountWrote: { n: number; tx: Record<string, number> } }>('args');
    for (const [k, v] of Object.entries(r)) expect(v?.code, k).toBe('ERR_TUN_ARGUMENT');
    expect(Object.keys(r)).toHaveLength(6);
    // a negative count writes nothing (it must not wrap to a huge unsigned count in C)
    expect(neg.n).toBe(0);
    expect(neg.tx.txPackets! + neg.tx.txErrors!).toBe(0);
  });
});
