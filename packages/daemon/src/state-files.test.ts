import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, existsSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { saveSnapshot, takeSnapshot } from './snapshot-store.js';
import { ensureToken } from './token.js';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('session snapshot file', () => {
  it('restores only with the same prefix and pool4, and only once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sg-snap-'));
    await saveSnapshot(dir, '2001:db8:64::/96', ['203.0.113.0/28'], { sessions: [1, 2] });
    expect(await takeSnapshot(dir, '2001:db8:64::/96', ['203.0.113.0/28'])).toEqual({ state: { sessions: [1, 2] } });
    expect(await takeSnapshot(dir, '2001:db8:64::/96', ['203.0.113.0/28'])).toEqual({ skipped: 'no snapshot' });
    await saveSnapshot(dir, '2001:db8:64::/96', ['203.0.113.0/28'], {});
    expect((await takeSnapshot(dir, '64:ff9b::/96', ['203.0.113.0/28'])).skipped).toMatch(/prefix 2001:db8:64::\/96/);
    await saveSnapshot(dir, '2001:db8:64::/96', ['203.0.113.0/28'], {});
    expect((await takeSnapshot(dir, '2001:db8:64::/96', ['203.0.113.0/29'])).skipped).toMatch(/pool4/);
  });
});

describe('state files go through the one atomic writer', () => {
  // pid 2^22+1 is above Linux's pid_max: a writer that cannot be alive.
  const DEAD = '4194305-abcdef';

  it('the snapshot keeps a symlinked sessions.json (the link, its target\'s mode) and a killed writer\'s temp file is cleaned', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sg-snap-'));
    mkdirSync(join(dir, 'state'));
    mkdirSync(join(dir, 'disk'));
    writeFileSync(join(dir, 'disk', 'sessions.json'), '{}');
    chmodSync(join(dir, 'disk', 'sessions.json'), 0o640);
    symlinkSync('../disk/sessions.json', join(dir, 'state', 'sessions.json'));
    await saveSnapshot(join(dir, 'state'), '2001:db8:64::/96', ['203.0.113.0/28'], { n: 1 });
    expect(lstatSync(join(dir, 'state', 'sessions.json')).isSymbolicLink()).toBe(true);
    expect(statSync(join(dir, 'disk', 'sessions.json')).mode & 0o777).toBe(0o640);
    expect(JSON.parse(readFileSync(join(dir, 'disk', 'sessions.json'), 'utf8'))).toMatchObject({ format: 'sixgate-sessions', state: { n: 1 } });
    writeFileSync(join(dir, 'disk', `.sessions.json.tmp-${DEAD}`), '{"torn');
    expect(await takeSnapshot(join(dir, 'state'), '2001:db8:64::/96', ['203.0.113.0/28'])).toEqual({ state: { n: 1 } });
    expect(readdirSync(join(dir, 'disk'))).toEqual([]);
    expect(lstatSync(join(dir, 'state', 'sessions.json')).isSymbolicLink()).toBe(true); // the link waits for the next save
  });

  it('a new snapshot is private (0600); no temp file stays behind', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sg-snap-'));
    const path = await saveSnapshot(dir, '2001:db8:64::/96', [], {});
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['sessions.json']);
  });

  it('the token file: a killed writer\'s temp file is cleaned, a dangling symlink to a secrets directory is honoured', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sg-tok-'));
    mkdirSync(join(dir, 'plain'));
    writeFileSync(join(dir, 'plain', `.api-token.tmp-${DEAD}`), 'half');
    await ensureToken(join(dir, 'plain'), undefined);
    expect(readdirSync(join(dir, 'plain'))).toEqual(['api-token']);
    mkdirSync(join(dir, 'state'));
    symlinkSync(join(dir, 'secrets', 'sixgate-token'), join(dir, 'state', 'api-token'));
    const t = await ensureToken(join(dir, 'state'), undefined);
    expect(t.generated).toBe(true);
    expect(readdirSync(join(dir, 'state'))).toEqual(['api-token']);
    expect(lstatSync(join(dir, 'state', 'api-token')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'secrets', 'sixgate-token'), 'utf8')).toBe(`${t.token}\n`);
    expect(statSync(join(dir, 'secrets', 'sixgate-token')).mode & 0o777).toBe(0o600);
    expect((await ensureToken(join(dir, 'state'), undefined)).token).toBe(t.token);
  });
});

describe('API token', () => {
  it('generates a token once, mode 0600, and reuses it; a configured token wins', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sg-tok-'));
    const a = await ensureToken(join(dir, 'state'), undefined);
    expect(a.generated).toBe(true);
    expect(a.token.length).toBeGreaterThanOrEqual(24);
    expect(statSync(a.path!).mode & 0o777).toBe(0o600);
    expect(readFileSync(a.path!, 'utf8').trim()).toBe(a.token);
    const b = await ensureToken(join(dir, 'state'), undefined);
    expect(b).toMatchObject({ token: a.token, generated: false });
    const c = await ensureToken(join(dir, 'other'), 'configured-token-123456');
    expect(c).toEqual({ token: 'configured-token-123456', generated: false });
    expect(existsSync(join(dir, 'other', 'api-token'))).toBe(false);
  });
});
