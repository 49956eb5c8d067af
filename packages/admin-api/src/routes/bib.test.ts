import { describe, expect, it } from 'vitest';
import type { BibEntry } from '../schemas/nat64.js';
import { errorOf, useApp } from '../test/helper.js';

const WEB = { protocol: 'tcp', ipv6: '[2001:db8::10]:80', ipv4: '192.168.255.1:8080' } as const;

describe('bib', () => {
  const ctx = useApp();

  it('lists dynamic and static entries, filtered by protocol', async () => {
    ctx.ports.bib = [
      { id: 'd1', protocol: 'udp', ipv6: '[2001:db8::1]:5353', ipv4: '192.168.255.1:1030', static: false, sessions: 2 },
      { id: 'd2', protocol: 'tcp', ipv6: '[2001:db8::1]:40000', ipv4: '192.168.255.1:1031', static: false, sessions: 1 },
    ];
    const all = (await ctx.call('GET', '/api/v1/bib')).json() as { items: BibEntry[] };
    expect(all.items).toEqual(ctx.ports.bib);
    const udp = (await ctx.call('GET', '/api/v1/bib?protocol=udp')).json() as { items: BibEntry[] };
    expect(udp.items.map((b) => b.id)).toEqual(['d1']);
    expect((await ctx.call('GET', '/api/v1/bib?protocol=gre')).statusCode).toBe(400);
  });

  it('POST adds a static entry (201), DELETE removes it (204), then 404', async () => {
    const added = await ctx.call('POST', '/api/v1/bib', WEB);
    expect(added.statusCode).toBe(201);
    const entry = added.json() as BibEntry;
    expect(entry).toMatchObject({ ...WEB, static: true, sessions: 0 });
    expect(ctx.ports.bib).toHaveLength(1);

    const removed = await ctx.call('DELETE', `/api/v1/bib/${entry.id}`);
    expect(removed.statusCode).toBe(204);
    expect(removed.body).toBe('');
    expect(ctx.ports.bib).toHaveLength(0);

    const again = await ctx.call('DELETE', `/api/v1/bib/${entry.id}`);
    expect(again.statusCode).toBe(404);
    expect(errorOf(again).message).toMatch(/no static BIB entry with id "static-1"/);
  });

  it('409 when the pool4 address and port are taken', async () => {
    await ctx.call('POST', '/api/v1/bib', WEB);
    const res = await ctx.call('POST', '/api/v1/bib', { ...WEB, ipv6: '[2001:db8::11]:80' });
    expect(res.statusCode).toBe(409);
    expect(errorOf(res).message).toBe('tcp 192.168.255.1:8080 is already bound');
  });

  it.each([
    { name: 'no protocol', body: { ipv6: WEB.ipv6, ipv4: WEB.ipv4 }, message: /missing the required key "protocol"/ },
    { name: 'bad protocol', body: { ...WEB, protocol: 'sctp' }, message: /body.protocol must be one of/ },
    { name: 'ipv6 without brackets', body: { ...WEB, ipv6: '2001:db8::10:80' }, message: /body.ipv6 must match pattern/ },
    { name: 'ipv6 not an address', body: { ...WEB, ipv6: '[2001:db8::zz]:80' }, message: /body.ipv6 must match pattern|ipv6 "\[2001:db8::zz\]:80"/ },
    { name: 'ipv6 bad groups', body: { ...WEB, ipv6: '[2001:db8:::1]:80' }, message: /^ipv6 "\[2001:db8:::1\]:80" is not "\[IPv6 address\]:port"/ },
    { name: 'ipv4 in ipv6 field', body: { ...WEB, ipv6: '[192.0.2.1]:80' }, message: /^ipv6 "\[192.0.2.1\]:80" is not/ },
    { name: 'port too big', body: { ...WEB, ipv4: '192.168.255.1:65536' }, message: /^ipv4 "192.168.255.1:65536" has port 65536, above 65535/ },
    { name: 'ipv4 octet 300', body: { ...WEB, ipv4: '192.168.300.1:80' }, message: /^ipv4 "192.168.300.1:80" is not "IPv4 address:port"/ },
    { name: 'ipv4 no port', body: { ...WEB, ipv4: '192.168.255.1' }, message: /body.ipv4 must match pattern/ },
    { name: 'extra key', body: { ...WEB, comment: 'web' }, message: /body has unknown key "comment"/ },
  ])('400 for a bad body: $name', async ({ body, message }) => {
    const res = await ctx.call('POST', '/api/v1/bib', body);
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).message).toMatch(message);
    expect(ctx.ports.bib).toHaveLength(0);
  });

  it('414 in the error shape for an over-long id', async () => {
    const res = await ctx.call('DELETE', `/api/v1/bib/${'x'.repeat(200)}`);
    expect(res.statusCode).toBe(414);
    errorOf(res);
  });
});
