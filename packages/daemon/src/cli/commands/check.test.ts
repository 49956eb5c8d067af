// `sixgate check` reads, never writes (issue 14, "no change is lost").
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runProgram } from '../client-harness.js';
import { register } from './check.js';

let dir = '';
let savedExit: typeof process.exitCode;
let savedEnv: string | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sg-check-'));
  savedExit = process.exitCode;
  savedEnv = process.env['SIXGATE_CONFIG'];
  delete process.env['SIXGATE_CONFIG'];
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  process.exitCode = savedExit;
  if (savedEnv === undefined) delete process.env['SIXGATE_CONFIG'];
  else process.env['SIXGATE_CONFIG'] = savedEnv;
  vi.restoreAllMocks();
});

/** Runs `sixgate --json check …` in-process; returns its findings and exit code (ports: free high ones on loopback). */
async function check(args: string[]): Promise<{ findings: { ok: boolean; what: string; detail: string }[]; exitCode: number }> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  process.exitCode = undefined;
  await runProgram([register], ['--json', 'check', '--dns-listen', '127.0.0.1:39853', '--api-listen', '127.0.0.1:39864', '--state-dir', join(dir, 'state'), ...args]);
  vi.restoreAllMocks();
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { findings: JSON.parse(out) as { ok: boolean; what: string; detail: string }[], exitCode };
}

describe('sixgate check', () => {
  it('--config naming a file that does not exist fails and creates nothing (no file, no directory, no state)', async () => {
    const typo = join(dir, 'etc', 'sixgaet.yaml');
    const { findings, exitCode } = await check(['--config', typo]);
    expect(findings[0]).toEqual({ ok: false, what: `config ${typo}`, detail: expect.stringMatching(/does not exist \(a typo\?\): check writes nothing/) });
    expect(exitCode).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('the same through SIXGATE_CONFIG', async () => {
    process.env['SIXGATE_CONFIG'] = join(dir, 'missing.yaml');
    const { findings } = await check([]);
    expect(findings[0]!.ok).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an existing valid file is reported valid and left byte for byte as it was', async () => {
    const file = join(dir, 'sixgate.yaml');
    const text = '# mine\nprefix: 64:ff9b:1::/96   # odd spacing kept\n';
    writeFileSync(file, text);
    writeFileSync(join(dir, '.sixgate.yaml.tmp-4194305-abcdef'), 'a dead writer\'s temp file');
    const { findings } = await check(['--config', file]);
    expect(findings[0]).toEqual({ ok: true, what: `config ${file}`, detail: 'valid' });
    expect(readdirSync(dir).sort()).toEqual(['.sixgate.yaml.tmp-4194305-abcdef', 'sixgate.yaml']);
  });

  it('builds what run builds: an RFC 6791 prefix pool passes, and every build finding is there', async () => {
    const file = join(dir, 'sixgate.yaml');
    writeFileSync(file, 'nat64:\n  rfc6791Pool: [203.0.113.0/28]\n');
    const { findings } = await check(['--config', file]);
    const build = findings.filter((f) => ['translator, session state, static BIB and policy', 'DNS64 options', 'TUN device options', 'admin API listen'].includes(f.what));
    expect(build.map((f) => [f.what, f.ok])).toEqual([
      ['translator, session state, static BIB and policy', true],
      ['DNS64 options', true],
      ['TUN device options', true],
      ['admin API listen', true],
    ]);
    expect(build[0]!.detail).toContain('RFC 6791 source: 14 addresses');
    expect(readdirSync(dir)).toEqual(['sixgate.yaml']);
  });
});
