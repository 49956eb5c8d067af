import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCliHarness, type CliHarness } from '../client-harness.js';
import { register } from './config.js';

describe('sixgate config', () => {
  let h: CliHarness;
  beforeEach(async () => {
    h = await startCliHarness([register]);
  });
  afterEach(() => h.close());

  it('get prints one key, with its pin', async () => {
    expect((await h.run(['config', 'get', 'dns64.cache.maxTtl'])).out).toBe('86400\n');
    expect((await h.run(['config', 'get', 'nat64.pool4.0'])).out).toBe('192.168.255.0/24\n');
    h.ports.pinned = { 'nat64.tun': '--tun' };
    expect((await h.run(['config', 'get', 'nat64.tun'])).out).toBe('sixgate0 (pinned by --tun)\n');
  });

  it('get without a key prints the whole (redacted) config and the pins', async () => {
    h.ports.pinned = { prefix: '--prefix' };
    const run = await h.run(['config', 'get']);
    const [json, pins] = run.out.split('\npinned: ');
    const config = JSON.parse(json!) as { prefix: string; api: { token: string } };
    expect(config.prefix).toBe('64:ff9b::/96');
    expect(config.api.token).toBe('***');
    expect(pins).toBe('prefix (--prefix)\n');
    expect(JSON.parse((await h.run(['--json', 'config', 'get'])).out)).toMatchObject({ pinned: { prefix: '--prefix' } });
  });

  it('get of an unknown key exits 1', async () => {
    const run = await h.run(['config', 'get', 'dns64.nope']);
    expect(run).toMatchObject({ code: 1, err: 'sixgate: no configuration key "dns64.nope"\n' });
  });

  it.each([
    { name: 'number', key: 'dns64.cache.maxTtl', value: '600', expected: 600 },
    { name: 'boolean', key: 'nat64.mssClamp', value: 'false', expected: false },
    { name: 'string', key: 'log.level', value: 'debug', expected: 'debug' },
    { name: 'array', key: 'dns64.upstreams', value: '["192.0.2.53","[2001:db8::53]:53"]', expected: ['192.0.2.53', '[2001:db8::53]:53'] },
  ])('set parses a $name value and PATCHes the nested key', async ({ key, value, expected }) => {
    const run = await h.run(['config', 'set', key, value]);
    expect(run.code).toBe(0);
    expect(run.out).toBe(`changed ${key} (config version 2)\n`);
    const got = key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], h.ports.config);
    expect(got).toEqual(expected);
  });

  it('set <key> null removes an optional key (JSON Merge Patch)', async () => {
    const run = await h.run(['config', 'set', 'api.token', 'null']);
    expect(run).toMatchObject({ code: 0, out: 'changed api.token (config version 2)\n' });
    expect(h.ports.config.api.token).toBeUndefined();
  });

  it('set reports the API\'s validation message', async () => {
    const bad = await h.run(['config', 'set', 'dns64.cache.maxTTL', '5']);
    expect(bad).toMatchObject({ code: 1, err: 'sixgate: body.dns64.cache has unknown key "maxTTL"\n' });
    const range = await h.run(['config', 'set', 'nat64.mtu', '100']);
    expect(range.err).toBe('sixgate: body.nat64.mtu must be >= 1280\n');
  });

  it('set of a pinned key names the flag', async () => {
    h.ports.pinned = { 'nat64.tun': '--tun' };
    const run = await h.run(['config', 'set', 'nat64.tun', 'other0']);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^sixgate: nat64\.tun is pinned by --tun/);
  });

  it('set refuses a malformed key before calling the API', async () => {
    const run = await h.run(['config', 'set', 'dns64..cache', '1']);
    expect(run).toMatchObject({ code: 1, err: 'sixgate: "dns64..cache" is not a dotted configuration key\n' });
    expect(h.ports.history()).toHaveLength(1);
  });
});
