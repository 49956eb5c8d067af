import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPatch, ConfigError, ConfigHistory, defaultConfig, HISTORY_KEEP, summarizeChanges, type Config } from './index.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'sg-config-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

function withMtu(mtu: number): Config {
  return applyPatch(defaultConfig(), { nat64: { mtu } });
}

describe('ConfigHistory', () => {
  it('numbers versions, stores timestamp, summary and config', async () => {
    let t = Date.parse('2026-01-02T03:04:05.000Z');
    const h = new ConfigHistory(dir, { now: () => new Date((t += 1000)) });
    const first = await h.record(defaultConfig());
    const second = await h.record(withMtu(1400));
    expect(first).toMatchObject({ version: 1, summary: 'initial configuration', timestamp: '2026-01-02T03:04:06.000Z' });
    expect(second).toMatchObject({ version: 2, summary: 'nat64.mtu 1500 → 1400', timestamp: '2026-01-02T03:04:07.000Z' });
    expect(await readdir(join(dir, 'history'))).toEqual(['000001.json', '000002.json']);
    expect((await h.get(2)).config).toEqual(withMtu(1400));
    expect(await h.list()).toEqual([
      { version: 2, timestamp: '2026-01-02T03:04:07.000Z', summary: 'nat64.mtu 1500 → 1400' },
      { version: 1, timestamp: '2026-01-02T03:04:06.000Z', summary: 'initial configuration' },
    ]);
    expect((await h.latest())?.version).toBe(2);
    expect((await stat(join(dir, 'history', '000002.json'))).mode & 0o777).toBe(0o600);
  });

  it(`keeps only the last ${HISTORY_KEEP} versions, numbering on`, async () => {
    const h = new ConfigHistory(dir);
    for (let i = 0; i < 25; i++) await h.record(withMtu(1400 + i));
    const list = await h.list();
    expect(list.map((e) => e.version)).toEqual(Array.from({ length: 20 }, (_, i) => 25 - i));
    expect(await readdir(join(dir, 'history'))).toHaveLength(20);
    expect((await h.get(6)).config.nat64.mtu).toBe(1405);
    await expect(h.get(5)).rejects.toMatchObject({ code: 'ERR_CONFIG_HISTORY' });
    // A new instance (a restart) continues the numbering.
    const again = new ConfigHistory(dir);
    expect((await again.record(withMtu(1300))).version).toBe(26);
    expect((await again.list())).toHaveLength(20);
  });

  it('records under a given version (the HA peer\'s) only above the latest', async () => {
    const h = new ConfigHistory(dir);
    await h.record(defaultConfig());
    expect((await h.record(withMtu(1400), 'from the peer', { version: 7 })).version).toBe(7);
    expect((await h.record(withMtu(1300))).version).toBe(8);
    for (const bad of [8, 3, 0, 1.5]) {
      await expect(h.record(withMtu(1280), "x", { version: bad })).rejects.toMatchObject({ code: 'ERR_CONFIG_HISTORY' });
    }
    expect((await h.latest())?.version).toBe(8);
  });

  it('serializes concurrent records', async () => {
    const h = new ConfigHistory(dir);
    const entries = await Promise.all([1, 2, 3, 4, 5].map((i) => h.record(withMtu(1400 + i))));
    expect(entries.map((e) => e.version).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(await readdir(join(dir, 'history'))).toHaveLength(5);
  });

  it('an empty history lists nothing', async () => {
    const h = new ConfigHistory(dir);
    expect(await h.list()).toEqual([]);
    expect(await h.latest()).toBeUndefined();
  });

  it.each([0, -1, 1.5, Number.NaN])('get(%s) is ERR_CONFIG_HISTORY', async (v) => {
    await expect(new ConfigHistory(dir).get(v)).rejects.toBeInstanceOf(ConfigError);
  });

  it('skips a corrupt (truncated) version in list() and reports it in get()', async () => {
    const h = new ConfigHistory(dir);
    await h.record(defaultConfig());
    await h.record(withMtu(1400));
    const file = join(dir, 'history', '000002.json');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.slice(0, text.length / 2));
    await writeFile(join(dir, 'history', 'notes.txt'), 'ignored');
    expect((await h.list()).map((e) => e.version)).toEqual([1]);
    await expect(h.get(2)).rejects.toThrow(/config version 2 is unreadable or corrupt/);
    expect((await h.record(withMtu(1300))).version).toBe(3);
  });

  it('a file whose content claims another version is corrupt', async () => {
    const h = new ConfigHistory(dir);
    await h.record(defaultConfig());
    const one = await readFile(join(dir, 'history', '000001.json'), 'utf8');
    await writeFile(join(dir, 'history', '000007.json'), one);
    await expect(h.get(7)).rejects.toMatchObject({ code: 'ERR_CONFIG_HISTORY' });
  });
});

describe('summarizeChanges', () => {
  it('names up to three changes, redacts the token, counts the rest', () => {
    const a = defaultConfig();
    const b = applyPatch(a, { prefix: '64:ff9b:1::/96', api: { token: 'a-token-of-16-chars' }, nat64: { pool4: ['192.0.2.0/24'], mtu: 1400 }, log: { level: 'debug' } });
    const s = summarizeChanges(a, b);
    expect(s).toBe('prefix "64:ff9b::/96" → "64:ff9b:1::/96"; nat64.mtu 1500 → 1400; nat64.pool4 changed; and 2 more');
    expect(summarizeChanges(b, b)).toBe('no change');
    expect(summarizeChanges(a, applyPatch(a, { api: { token: 'a-token-of-16-chars' } }))).toBe('api.token (missing) → "***"');
  });
});
