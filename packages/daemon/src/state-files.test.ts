import { mkdtempSync, readFileSync, statSync, existsSync, rmSync } from 'node:fs';
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
