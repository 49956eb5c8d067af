import { describe, expect, it } from 'vitest';
import { chosenPref64, clatSetupCommands, taygaConf, CLAT } from './clat.js';
import { labConfig } from './lab.js';
import { LAB } from './plan.js';

describe('lab CLAT', () => {
  it('writes a TAYGA configuration for the announced prefix', () => {
    expect(taygaConf('64:ff9b:1::/96')).toContain('prefix 64:ff9b:1::/96\n');
    expect(taygaConf('64:ff9b:1::/96')).toContain(`map ${CLAT.v4} ${CLAT.v6}\n`);
  });
  it('takes the first PREF64 with a lifetime; a withdrawn one is not used', () => {
    expect(chosenPref64([{ prefix: '64:ff9b:2::/96', lifetime: 32 }, { prefix: '64:ff9b:1::/96', lifetime: 0 }])).toBe('64:ff9b:2::/96');
    expect(chosenPref64([{ prefix: '64:ff9b:1::/96', lifetime: 0 }])).toBeUndefined();
    expect(chosenPref64([])).toBeUndefined();
  });
  it('routes IPv4 into clat0 and proxies the CLAT address on the client link', () => {
    const cmds = clatSetupCommands().map((c) => c.join(' '));
    expect(cmds).toContain('-n sixgate-lab-client route add default dev clat0 src 192.0.0.1');
    expect(cmds).toContain('-n sixgate-lab-client -6 neigh add proxy 2001:db8:64::464 dev lab0');
  });
});

describe('lab config file', () => {
  it('holds the prefix and announces it on the client link', () => {
    const text = labConfig();
    expect(text).toContain(`prefix: ${LAB.prefix}\n`);
    expect(text).toMatch(/ra:\n {2}interfaces: \[lab0\]/);
  });
});
