import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FakeAdminPorts } from '@sixgate/admin-api';
import { startCliHarness, type CliHarness } from '../client-harness.js';
import { register } from './trace.js';

/** Emits `n` records as soon as the API has subscribed (bounded wait). */
function emitWhenSubscribed(ports: FakeAdminPorts, records: Parameters<FakeAdminPorts['emit']>[0][]): Promise<void> {
  const until = Date.now() + 5000;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (ports.subscribers.size > 0) {
        for (const r of records) ports.emit(r);
        resolve();
      } else if (Date.now() > until) reject(new Error('the trace never subscribed'));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

const V6 = Uint8Array.from([0x60, ...new Array<number>(39).fill(0)]);
const V4 = Uint8Array.from([0x45, ...new Array<number>(19).fill(0)]);
const RECORD = {
  ts: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
  source: 'nat64' as const,
  direction: '6to4' as const,
  client: '2001:db8::1',
  dst: '192.0.2.33',
  protocol: 'tcp',
  decision: 'drop',
  reason: 'policy',
  before: V6,
  after: V4,
};

describe('sixgate trace', () => {
  let h: CliHarness;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sixgate-trace-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    h = await startCliHarness([register]);
  });
  afterEach(() => h.close());

  it('prints one line per record and a summary, and ends after --seconds', async () => {
    const started = Date.now();
    const [run] = await Promise.all([
      h.run(['trace', '--client', '2001:db8::/64', '--dst', '192.0.2.33', '--seconds', '1']),
      emitWhenSubscribed(h.ports, [RECORD, { ts: RECORD.ts, source: 'dns64', client: '2001:db8::1', dst: 'example.org', decision: 'synthesized', detail: 'AAAA example.org' }]),
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(run).toEqual({
      code: 0,
      err: '',
      out: [
        '03:04:05.678 nat64 6to4 tcp 2001:db8::1 -> 192.0.2.33 drop (policy)',
        '03:04:05.678 dns64 2001:db8::1 -> example.org synthesized AAAA example.org',
        '2 records; ended: timeout',
        '',
      ].join('\n'),
    });
    expect(h.ports.subscribers.size).toBe(0);
  });

  it('--json prints one JSON object per line', async () => {
    const [run] = await Promise.all([h.run(['--json', 'trace', '--seconds', '1']), emitWhenSubscribed(h.ports, [RECORD])]);
    const lines = run.out.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ decision: 'drop', beforeLength: 40, afterLength: 20 });
  });

  it('--pcap saves the packets and says how many', async () => {
    const file = join(dir, 'out.pcap');
    const [run] = await Promise.all([h.run(['trace', '--seconds', '1', '--pcap', file]), emitWhenSubscribed(h.ports, [RECORD, RECORD])]);
    expect(run).toMatchObject({ code: 0, out: `wrote 4 packets (${24 + 2 * (16 + 40 + 16 + 20)} bytes) to ${file}\n` });
    const bytes = readFileSync(file);
    expect(bytes.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect(bytes.readUInt32LE(20)).toBe(101);
  });

  it('--pcap to an unwritable path exits 1', async () => {
    const run = await h.run(['trace', '--seconds', '1', '--pcap', join(dir, 'missing', 'x.pcap')]);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^sixgate: cannot write .*x\.pcap: ENOENT/);
  });

  it('bad filters and durations come back as the API message', async () => {
    const bad = await h.run(['trace', '--client', 'example.org', '--seconds', '1']);
    expect(bad).toMatchObject({ code: 1, err: 'sixgate: client "example.org" is not an IPv4/IPv6 address or prefix\n' });
    const long = await h.run(['trace', '--seconds', '301']);
    expect(long.err).toBe('sixgate: querystring.seconds must be <= 300\n');
  });
});
