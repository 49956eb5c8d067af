import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ADDR_SLOT, AF_INET, AF_INET6, loadNativeUdp, nativeUdpLoadError, NativeUdpSocket, type NativeUdp, type NativeUdpSizes, UDP_ADDON_PATH,
} from './native-udp.js';

function addon(): NativeUdp {
  const n = loadNativeUdp();
  if (n === undefined) throw new Error(`the addon must be built (npm run build:native -w @sixgate/dns64): ${nativeUdpLoadError()?.message}`);
  return n;
}

const open: NativeUdpSocket[] = [];
const clients: dgram.Socket[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  for (const c of clients.splice(0)) c.close();
});

function sock(address: string, sizes: NativeUdpSizes = {}): NativeUdpSocket {
  const s = NativeUdpSocket.open(addon(), address, 0, true, sizes);
  open.push(s);
  return s;
}

async function client(type: 'udp4' | 'udp6'): Promise<dgram.Socket> {
  const c = dgram.createSocket({ type, recvBufferSize: 1 << 20 });
  clients.push(c);
  await new Promise<void>((r) => c.bind(0, type === 'udp4' ? '127.0.0.1' : '::1', () => r()));
  return c;
}

function sendAll(c: dgram.Socket, msgs: Buffer[], port: number, host: string): Promise<void> {
  return Promise.all(msgs.map((m) => new Promise<void>((ok, fail) => c.send(m, port, host, (e) => (e ? fail(e) : ok()))))).then(() => undefined);
}

/** Calls recv() until `want` datagrams came in (bounded in time); returns them with their source ports. */
async function recvAll(s: NativeUdpSocket, want: number, ms = 2000): Promise<{ data: string[]; families: number[]; ports: number[]; calls: number[] }> {
  const out = { data: [] as string[], families: [] as number[], ports: [] as number[], calls: [] as number[] };
  const end = Date.now() + ms;
  while (out.data.length < want && Date.now() < end) {
    const n = s.recv();
    if (n === 0) {
      await new Promise((r) => setTimeout(r, 5));
      continue;
    }
    out.calls.push(n);
    for (let i = 0; i < n; i++) {
      const o = i * ADDR_SLOT;
      out.families.push(new DataView(s.rxAddrs.buffer, s.rxAddrs.byteOffset).getUint16(o, true));
      out.ports.push((s.rxAddrs[o + 2]! << 8) | s.rxAddrs[o + 3]!);
      out.data.push(s.rxSizes[i]! < 0 ? '<truncated>' : s.rx.toString('latin1', i * s.rxSlot, i * s.rxSlot + s.rxSizes[i]!));
    }
  }
  return out;
}

function collect(c: dgram.Socket, want: number, ms = 2000): Promise<string[]> {
  const got: string[] = [];
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(got), ms);
    c.on('message', (m) => {
      got.push(m.toString('latin1'));
      if (got.length >= want) {
        clearTimeout(t);
        resolve(got);
      }
    });
  });
}

describe('NativeUdpSocket (addon)', () => {
  it('loads from the documented path', () => {
    expect(UDP_ADDON_PATH).toBe('../../build/Release/dns64_udp.node');
    expect(addon().MAX_BATCH).toBeGreaterThanOrEqual(64);
  });

  it('receives many queued IPv4 datagrams in batches, with their source addresses', async () => {
    const s = sock('127.0.0.1', { batch: 64 });
    const c = await client('udp4');
    const msgs = Array.from({ length: 200 }, (_, i) => Buffer.from(`q${i}`));
    await sendAll(c, msgs, s.port(), '127.0.0.1');
    const r = await recvAll(s, 200);
    expect(r.data).toEqual(msgs.map((m) => m.toString()));
    expect(r.calls[0]).toBe(64); // one recvmmsg call filled a whole batch
    expect(r.calls.length).toBeLessThan(10);
    expect(new Set(r.families)).toEqual(new Set([AF_INET]));
    expect(new Set(r.ports)).toEqual(new Set([c.address().port]));
    expect(s.stats()).toMatchObject({ rxPackets: 200, rxBytes: msgs.reduce((a, m) => a + m.length, 0), rxTruncated: 0 });
  });

  it('sends a batch with sendBatch (one call) back to the senders, and single answers with sendTo', async () => {
    const s = sock('127.0.0.1');
    const c = await client('udp4');
    await sendAll(c, [Buffer.from('hello')], s.port(), '127.0.0.1');
    await recvAll(s, 1);
    const got = collect(c, 11);
    for (let k = 0; k < 10; k++) {
      const a = Buffer.from(`answer-${k}`);
      a.copy(s.tx, k * s.txSlot);
      s.txLengths[k] = a.length;
      s.txAddrs.set(s.rxAddrs.subarray(0, ADDR_SLOT), k * ADDR_SLOT);
    }
    expect(s.send(10)).toBe(10);
    expect(s.sendTo(Buffer.from('late'), s.rxAddrs, 0)).toBe(true);
    expect((await got).sort()).toEqual([...Array.from({ length: 10 }, (_, k) => `answer-${k}`), 'late'].sort());
    expect(s.stats()).toMatchObject({ txPackets: 11, txErrors: 0 });
  });

  it('counts bad lengths in a batch as errors and sends the rest', async () => {
    const s = sock('127.0.0.1');
    const c = await client('udp4');
    await sendAll(c, [Buffer.from('x')], s.port(), '127.0.0.1');
    await recvAll(s, 1);
    const got = collect(c, 1);
    for (let k = 0; k < 3; k++) s.txAddrs.set(s.rxAddrs.subarray(0, ADDR_SLOT), k * ADDR_SLOT);
    s.tx.write('ok', 1 * s.txSlot);
    s.txLengths.set([0, 2, s.txSlot + 1]);
    expect(s.send(3)).toBe(1);
    expect(await got).toEqual(['ok']);
    expect(s.stats()).toMatchObject({ txPackets: 1, txErrors: 2 });
  });

  it('works on IPv6 (IPV6_V6ONLY): receive, batch send, sendTo', async () => {
    const s = sock('::1');
    const c = await client('udp6');
    await sendAll(c, [Buffer.from('six-a'), Buffer.from('six-b')], s.port(), '::1');
    const r = await recvAll(s, 2);
    expect(r.data).toEqual(['six-a', 'six-b']);
    expect(r.families).toEqual([AF_INET6, AF_INET6]);
    expect(s.rxAddrs.subarray(8, 24)).toEqual(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1));
    const got = collect(c, 2);
    s.tx.write('back', 0);
    s.txLengths[0] = 4;
    s.txAddrs.set(s.rxAddrs.subarray(0, ADDR_SLOT), 0);
    expect(s.send(1)).toBe(1);
    expect(s.sendTo(Buffer.from('later'), s.rxAddrs, 1)).toBe(true);
    expect((await got).sort()).toEqual(['back', 'later']);
  });

  it('an IPv4 client cannot reach an IPv6-only socket bound to ::', async () => {
    const s = sock('::');
    const c = await client('udp4');
    await sendAll(c, [Buffer.from('v4')], s.port(), '127.0.0.1');
    expect((await recvAll(s, 1, 200)).data).toEqual([]);
  });

  it('counts and skips datagrams longer than the receive slot, never cut short', async () => {
    const s = sock('127.0.0.1', { rxSlot: 64 });
    const c = await client('udp4');
    await sendAll(c, [Buffer.alloc(100, 0x41), Buffer.from('small')], s.port(), '127.0.0.1');
    const r = await recvAll(s, 2);
    expect(r.data).toEqual(['<truncated>', 'small']);
    expect(s.stats()).toMatchObject({ rxPackets: 1, rxTruncated: 1 });
  });

  it('rejects bad addresses and ports, and reports bind errors with errno', () => {
    const n = addon();
    expect(() => NativeUdpSocket.open(n, 'not-an-ip', 0, false)).toThrow(/not an IP address/);
    expect(() => n.open(4, new Uint8Array(3), 0, false, 0)).toThrow(/address/);
    expect(() => n.open(4, new Uint8Array(4), 70_000, false, 0)).toThrow(/address/);
    const s = sock('127.0.0.1');
    expect(() => NativeUdpSocket.open(n, '127.0.0.1', s.port(), false)).toThrow(expect.objectContaining({ syscall: 'bind', errno: 98 }));
  });

  it('calls onReadable per wake-up; after close, recv throws and the poll is gone', async () => {
    const s = sock('127.0.0.1');
    const c = await client('udp4');
    let wakeups = 0;
    const woke = new Promise<void>((r) =>
      s.onReadable(() => {
        wakeups++;
        s.recv();
        r();
      }),
    );
    await sendAll(c, [Buffer.from('ping')], s.port(), '127.0.0.1');
    await woke;
    expect(wakeups).toBeGreaterThanOrEqual(1);
    s.close();
    s.close(); // idempotent
    expect(() => s.recv()).toThrow(/closed/);
    expect(s.stats().rxWakeups).toBe(wakeups);
  });

  it('close stops the poll and lets the process exit', async () => {
    const path = fileURLToPath(new URL(UDP_ADDON_PATH, import.meta.url));
    const script = `
      const n = require(${JSON.stringify(path)});
      const dgram = require('node:dgram');
      const h = n.open(4, Uint8Array.of(127, 0, 0, 1), 0, false, 0);
      const arena = new Uint8Array(512), sizes = new Int32Array(1), addrs = new Uint8Array(28);
      n.poll(h, () => { if (n.recvBatch(h, arena, 512, sizes, addrs, 1) === 1) { n.close(h); console.log('closed'); } });
      const c = dgram.createSocket('udp4');
      c.send('go', n.localPort(h), '127.0.0.1', () => c.close());
    `;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const code = await new Promise<number | string>((resolve) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        resolve('still running after 5 s');
      }, 5000);
      child.on('exit', (c) => {
        clearTimeout(t);
        resolve(c ?? -1);
      });
    });
    expect(code).toBe(0);
    expect(out.trim()).toBe('closed');
  });
});
