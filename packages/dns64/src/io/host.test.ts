import type os from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultRouteInterfaces, hostClientNetworks } from './host.js';

const ROUTE4 = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
wan0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
wan0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
lan0\t0033A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
`;
const ROUTE6 = `20010db8000100000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     lan0
20010db8000900000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     wan0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 20010db8000900000000000000000001 00000400 00000003 00000000 00000003     wan0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
`;

function nic(address: string, cidr: string, family: 'IPv4' | 'IPv6'): os.NetworkInterfaceInfo {
  return { address, cidr, family, netmask: '', mac: '00:00:00:00:00:00', internal: false, ...(family === 'IPv6' ? { scopeid: 0 } : {}) } as os.NetworkInterfaceInfo;
}

const IFACES = {
  lo: [nic('127.0.0.1', '127.0.0.1/8', 'IPv4'), nic('::1', '::1/128', 'IPv6')],
  wan0: [nic('192.0.2.10', '192.0.2.10/24', 'IPv4'), nic('2001:db8:9::10', '2001:db8:9::10/64', 'IPv6')],
  lan0: [nic('198.51.100.1', '198.51.100.1/24', 'IPv4'), nic('2001:db8:1::1', '2001:db8:1::1/64', 'IPv6')],
};

describe('default DNS64 clients', () => {
  it('finds the interfaces with a default route, ignoring reject routes on lo', () => {
    expect([...defaultRouteInterfaces({ ipv4: ROUTE4, ipv6: ROUTE6 })].sort()).toEqual(['wan0']);
    expect([...defaultRouteInterfaces({ ipv4: '', ipv6: '' })]).toEqual([]);
    expect([...defaultRouteInterfaces({ ipv4: 'garbage\nx y', ipv6: 'short line' })]).toEqual([]);
  });

  it('admits loopback and the LAN subnets, not the uplink subnet', () => {
    const nets = hostClientNetworks(IFACES, { ipv4: ROUTE4, ipv6: ROUTE6 });
    expect(nets).toContain('127.0.0.0/8');
    expect(nets).toContain('::1/128');
    expect(nets).toContain('198.51.100.0/24');
    expect(nets).toContain('2001:db8:1:0:0:0:0:0/64');
    expect(nets.some((n) => n.startsWith('192.0.2.') || n.startsWith('2001:db8:9:'))).toBe(false);
  });

  it('counts interfaces the OS list leaves out while their link comes up, from the kernel tables', () => {
    // os.networkInterfaces() omits an interface until IFF_RUNNING; lan1 is only in the kernel tables.
    const ifInet6 = [
      '20010db8000500000000000000000001 05 40 00 80     lan1',
      'fe80000000000000000000000000abcd 05 40 20 c0     lan1',
      '20010db8000900000000000000000010 03 40 00 80     wan0',
      'not a line',
      '20010db8000600000000000000000001 06 ff 00 80     lan2', // prefix length out of range
    ].join('\n');
    const route4 = `${ROUTE4}lan1\t0000000A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
lan1\t0100000A\t00000000\t0001\t0\t0\t0\t00FF00FF\t0\t0\t0
lan1\t0200000A\t00000000\t0201\t0\t0\t0\t00FFFFFF\t0\t0\t0
lan1\t00000B0A\t0100000A\t0003\t0\t0\t0\t00FFFFFF\t0\t0\t0
`;
    const nets = hostClientNetworks({}, { ipv4: route4, ipv6: ROUTE6, ifInet6 });
    expect(nets.sort()).toEqual(['127.0.0.0/8', '::1/128', '10.0.0.0/16', '192.168.51.0/24', '2001:db8:5:0:0:0:0:0/64', 'fe80:0:0:0:0:0:0:0/64'].sort());
  });

  it('admits every subnet when no interface carries a default route (an isolated host)', () => {
    const nets = hostClientNetworks(IFACES, { ipv4: '', ipv6: '' });
    expect(nets).toContain('192.0.2.0/24');
    expect(nets).toContain('2001:db8:9:0:0:0:0:0/64');
  });
});
