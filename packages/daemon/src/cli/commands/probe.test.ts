/**
 * `sixgate probe` against the test API (FakeAdminPorts) and a fake DNS64
 * listener on ::1: the command reads the live prefix and listener over the
 * API and stops at the DNS step, so no route or TUN device is needed here
 * (test/e2e/probe.test.ts runs every step for real).
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCliHarness, type CliHarness } from '../client-harness.js';
import { register } from './probe.js';

let dns: Socket;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sg-probe-cli-'));
  dns = createSocket('udp6');
  // Answers like a DNS64: dual.example.net has a real AAAA, everything else is NXDOMAIN.
  dns.on('message', (m, r) => {
    const q = dnsPacket.decode(m);
    const question = q.questions![0]!;
    const dual = question.name === 'dual.example.net';
    const answers = !dual ? [] : question.type === 'A' ? [{ type: 'A', name: question.name, ttl: 5, data: '192.0.2.11' }] : [{ type: 'AAAA', name: question.name, ttl: 5, data: '2001:db8:d::1' }];
    dns.send(dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.RECURSION_AVAILABLE | (dual ? 0 : 3), questions: q.questions, answers: answers as dnsPacket.Answer[] }), r.port, r.address);
  });
  await new Promise<void>((r) => dns.bind(0, '::1', () => r()));
});
afterAll(() => {
  dns.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sixgate probe', () => {
  let h: CliHarness;
  beforeEach(async () => {
    h = await startCliHarness([register]);
    await h.ports.patchConfig({ dns64: { listen: [`[::1]:${dns.address().port}`] } });
  });
  afterEach(() => h.close());

  it('prints one line per target and exits 1 when one fails', async () => {
    const run = await h.run(['probe', 'dual.example.net', 'gone.example.net', '--timeout', '1s']);
    expect(run.out).toBe(
      ['TARGET            RESULT  STEP  DIAGNOSIS', 'dual.example.net  native  dns   has native IPv6: NAT64 not involved', 'gone.example.net  FAIL    dns   no A record', ''].join('\n'),
    );
    expect(run).toMatchObject({ code: 1, err: 'sixgate: 1 of 2 targets failed\n' });
  });

  it('exits 0 when every target passes (native IPv6 counts), JSON with --json', async () => {
    const run = await h.run(['probe', 'dual.example.net', '--json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.out) as { ok: boolean; results: { target: string; status: string; diagnosis: string; steps: unknown[] }[] };
    expect(doc).toMatchObject({ ok: true, results: [{ target: 'dual.example.net', status: 'native', diagnosis: 'has native IPv6: NAT64 not involved' }] });
    expect(doc.results[0]!.steps).toHaveLength(1);
  });

  it('reads targets from a file, with --verbose steps', async () => {
    const file = join(dir, 'targets.yaml');
    writeFileSync(file, 'targets:\n  - gone.example.net\n  - target: dual.example.net\n    critical: true\n');
    const run = await h.run(['probe', '--file', file, '--verbose', '--timeout', '800ms']);
    expect(run.out).toMatch(/^TARGET +RESULT/);
    expect(run.out).toMatch(/\ngone\.example\.net\n {2}dns +fail +[\d.]+ ms {2}A NXDOMAIN; AAAA NXDOMAIN via \[::1\]:\d+\n/);
    expect(run.code).toBe(1);
  });

  it.each([
    [['probe'], 'sixgate: name at least one target, or --file targets.yaml\n'],
    [['probe', 'ftp://x.example.net/'], 'sixgate: "ftp://x.example.net/": only http and https URLs can be probed\n'],
    [['probe', '--file', '/nonexistent/t.yaml'], /^sixgate: cannot read \/nonexistent\/t\.yaml: ENOENT/],
    [['probe', '192.0.2.1', '--timeout', 'soon'], /"soon" is not a duration like 5s or 800ms/],
    [['probe', '192.0.2.1', '--timeout', '10ms'], /10ms is outside 100ms to 60s/],
    [['probe', '192.0.2.1', '--source', '192.0.2.9'], /"192\.0\.2\.9" is not an IPv6 address/],
  ])('refuses %j', async (args, err) => {
    const run = await h.run(args);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(err);
    expect(run.out).toBe('');
  });

  it('a bad targets file names the file and the entry', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, '- target: www.example.net\n  interval: 1\n');
    const run = await h.run(['probe', '--file', file]);
    expect(run.err).toBe(`sixgate: ${file}[0]: interval 1 must be 5 to 86400 seconds\n`);
  });
});
