import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCliHarness, type CliHarness } from '../client-harness.js';
import { register } from './rollback.js';

describe('sixgate rollback', () => {
  let h: CliHarness;
  beforeEach(async () => {
    h = await startCliHarness([register]);
    await h.ports.patchConfig({ log: { level: 'debug' } });
  });
  afterEach(() => h.close());

  it('without a version lists the history, newest first', async () => {
    const run = await h.run(['rollback']);
    expect(run.code).toBe(0);
    const lines = run.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^VERSION +APPLIED +SUMMARY$/);
    expect(lines[1]).toMatch(/^2 +\S+Z +changed log\.level$/);
    expect(lines[2]).toMatch(/^1 +\S+Z +initial configuration$/);
    expect(JSON.parse((await h.run(['--json', 'rollback'])).out)).toEqual({ items: h.ports.history() });
  });

  it('with a version restores it', async () => {
    const run = await h.run(['rollback', '1']);
    expect(run).toEqual({ code: 0, out: 'restored version 1; now version 3 (log.level)\n', err: '' });
    expect(h.ports.config.log.level).toBe('info');
  });

  it('an unknown version exits 1 with the API message', async () => {
    const run = await h.run(['rollback', '99']);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^sixgate: version 99 is not in the history/);
  });

  it('a version that is not a number is a usage error', async () => {
    const run = await h.run(['rollback', 'latest']);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/"latest" is not a non-negative integer/);
  });
});
