import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCliHarness, type CliHarness } from '../client-harness.js';
import { register } from './bib.js';

describe('sixgate bib', () => {
  let h: CliHarness;
  beforeEach(async () => {
    h = await startCliHarness([register]);
  });
  afterEach(() => h.close());

  it('add publishes a server, list shows it, remove takes it away', async () => {
    const add = await h.run(['bib', 'add', '--protocol', 'tcp', '--ipv6', '[2001:db8::10]:80', '--ipv4', '192.168.255.1:8080']);
    expect(add).toMatchObject({ code: 0, err: '', out: 'added static tcp entry static-1: 192.168.255.1:8080 -> [2001:db8::10]:80\n' });
    h.ports.bib.push({ id: 'd9', protocol: 'udp', ipv6: '[2001:db8::2]:5000', ipv4: '192.168.255.1:1024', static: false, sessions: 1 });

    const list = await h.run(['bib', 'list']);
    expect(list.out.trimEnd().split('\n')).toEqual([
      'ID        PROTO  IPV6                IPV4                STATIC  SESSIONS',
      'static-1  tcp    [2001:db8::10]:80   192.168.255.1:8080  yes     0',
      'd9        udp    [2001:db8::2]:5000  192.168.255.1:1024  no      1',
    ]);
    const udp = await h.run(['--json', 'bib', 'list', '--protocol', 'udp']);
    expect((JSON.parse(udp.out) as { items: { id: string }[] }).items.map((b) => b.id)).toEqual(['d9']);

    const remove = await h.run(['bib', 'remove', 'static-1']);
    expect(remove).toMatchObject({ code: 0, out: 'removed static entry static-1\n' });
    expect(h.ports.bib.map((b) => b.id)).toEqual(['d9']);
  });

  it('remove of an unknown id exits 1 with the API message', async () => {
    const run = await h.run(['bib', 'remove', 'nope']);
    expect(run.code).toBe(1);
    expect(run.err).toBe('sixgate: no static BIB entry with id "nope" (see GET /api/v1/bib)\n');
  });

  it('add reports a bad address from the API', async () => {
    const run = await h.run(['bib', 'add', '--protocol', 'tcp', '--ipv6', '[2001:db8:::1]:80', '--ipv4', '192.168.255.1:8080']);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^sixgate: ipv6 "\[2001:db8:::1\]:80" is not "\[IPv6 address\]:port"/);
    expect(h.ports.bib).toEqual([]);
  });

  it('add requires all three options', async () => {
    const run = await h.run(['bib', 'add', '--protocol', 'tcp', '--ipv6', '[2001:db8::10]:80']);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/required option '--ipv4 <addr:port>' not specified/);
  });

  it('add reports a conflict', async () => {
    await h.run(['bib', 'add', '--protocol', 'udp', '--ipv6', '[2001:db8::10]:53', '--ipv4', '192.168.255.1:53']);
    const run = await h.run(['bib', 'add', '--protocol', 'udp', '--ipv6', '[2001:db8::11]:53', '--ipv4', '192.168.255.1:53']);
    expect(run.code).toBe(1);
    expect(run.err).toBe('sixgate: udp 192.168.255.1:53 is already bound\n');
  });
});
