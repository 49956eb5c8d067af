import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCliHarness, type CliHarness } from '../client-harness.js';
import { register } from './policy.js';

describe('sixgate policy', () => {
  let h: CliHarness;
  beforeEach(async () => {
    h = await startCliHarness([register]);
  });
  afterEach(() => h.close());
  const ids = () => h.ports.config.nat64.policy.map((r) => r.id);

  it('add builds the rule from options; list shows order and hits', async () => {
    const a = await h.run(['policy', 'add', 'lab', '--action', 'deny', '--source6', '2001:db8:1::/48', '--protocol', 'udp']);
    expect(a).toEqual({ code: 0, out: 'added rule lab (config version 2)\n', err: '' });
    await h.run(['policy', 'add', 'web', '--action', 'allow', '--destination4', '198.51.100.0/24', '--ports', '443']);
    await h.run(['policy', 'add', 'first', '--action', 'allow', '--position', '0']);
    expect(ids()).toEqual(['first', 'lab', 'web']);
    expect(h.ports.config.nat64.policy[1]).toEqual({ id: 'lab', action: 'deny', source6: '2001:db8:1::/48', protocol: 'udp' });
    h.ports.hits.set('web', 12);
    const list = await h.run(['policy', 'list']);
    expect(list.out.trimEnd().split('\n')).toEqual([
      '#  ID     ACTION  SOURCE6          DESTINATION4     PROTO  PORTS  HITS',
      '0  first  allow   any              any              any    any    0',
      '1  lab    deny    2001:db8:1::/48  any              udp    any    0',
      '2  web    allow   any              198.51.100.0/24  any    443    12',
    ]);
  });

  it('move puts a rule at another position, keeping its fields', async () => {
    for (const id of ['a', 'b', 'c']) await h.run(['policy', 'add', id, '--action', 'allow', '--ports', '80']);
    const run = await h.run(['policy', 'move', 'c', '0']);
    expect(run).toMatchObject({ code: 0, out: 'moved rule c to position 0 (config version 5)\n' });
    expect(ids()).toEqual(['c', 'a', 'b']);
    expect(h.ports.config.nat64.policy[0]).toEqual({ id: 'c', action: 'allow', ports: '80' });
  });

  it('move and remove of an unknown rule exit 1', async () => {
    expect((await h.run(['policy', 'move', 'zz', '1'])).err).toBe('sixgate: no policy rule "zz" (see "sixgate policy list")\n');
    const rm = await h.run(['policy', 'remove', 'zz']);
    expect(rm.code).toBe(1);
    expect(rm.err).toBe('sixgate: no policy rule "zz"\n');
  });

  it('remove deletes the rule', async () => {
    await h.run(['policy', 'add', 'a', '--action', 'allow']);
    expect((await h.run(['policy', 'remove', 'a'])).out).toBe('removed rule a (config version 3)\n');
    expect(ids()).toEqual([]);
  });

  it('bad rules are refused by the API or by the option choices', async () => {
    const badId = await h.run(['policy', 'add', 'has space', '--action', 'allow']);
    expect(badId.code).toBe(1);
    expect(badId.err).toMatch(/^sixgate: body.id must match pattern/);
    const badAction = await h.run(['policy', 'add', 'x', '--action', 'maybe']);
    expect(badAction.err).toMatch(/Allowed choices are allow, deny/);
    const noAction = await h.run(['policy', 'add', 'x']);
    expect(noAction.err).toMatch(/required option '--action <action>' not specified/);
    expect(ids()).toEqual([]);
  });

  it('--json prints the API answers', async () => {
    const add = await h.run(['--json', 'policy', 'add', 'a', '--action', 'deny']);
    expect(JSON.parse(add.out)).toMatchObject({ version: 2, changed: ['nat64.policy'] });
    const list = await h.run(['--json', 'policy', 'list']);
    expect(JSON.parse(list.out)).toEqual({ items: [{ id: 'a', action: 'deny', hits: 0 }] });
  });
});
