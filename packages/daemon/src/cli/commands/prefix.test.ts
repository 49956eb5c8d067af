import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCliHarness, type CliHarness } from '../client-harness.js';
import { register } from './prefix.js';

describe('sixgate prefix', () => {
  let h: CliHarness;
  beforeEach(async () => {
    h = await startCliHarness([register]);
  });
  afterEach(() => h.close());

  it('get prints the prefix', async () => {
    expect(await h.run(['prefix', 'get'])).toEqual({ code: 0, out: '64:ff9b::/96\n', err: '' });
    h.ports.pinned = { prefix: 'SIXGATE_PREFIX' };
    expect((await h.run(['prefix', 'get'])).out).toBe('64:ff9b::/96 (pinned by SIXGATE_PREFIX)\n');
    expect(JSON.parse((await h.run(['--json', 'prefix', 'get'])).out)).toEqual({ prefix: '64:ff9b::/96', pinned: 'SIXGATE_PREFIX' });
  });

  it('set changes it and prints the canonical form', async () => {
    const run = await h.run(['prefix', 'set', '64:FF9B:1::/48']);
    expect(run).toEqual({ code: 0, out: 'prefix is now 64:ff9b:1::/48 (config version 2)\n', err: '' });
    expect(h.ports.config.prefix).toBe('64:ff9b:1::/48');
  });

  it('set of a bad prefix exits 1 with the RFC 6052 message', async () => {
    const run = await h.run(['prefix', 'set', '2001:db8::/33']);
    expect(run.code).toBe(1);
    expect(run.err).toBe('sixgate: prefix "2001:db8::/33" is not a valid NAT64 prefix length (RFC 6052 allows 32, 40, 48, 56, 64, 96)\n');
  });

  it('set of a pinned prefix names the variable', async () => {
    h.ports.pinned = { prefix: 'SIXGATE_PREFIX' };
    const run = await h.run(['prefix', 'set', '64:ff9b:1::/48']);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^sixgate: prefix is pinned by SIXGATE_PREFIX/);
  });

  it('set without a prefix is a usage error', async () => {
    const run = await h.run(['prefix', 'set']);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/missing required argument 'prefix'/);
  });
});
