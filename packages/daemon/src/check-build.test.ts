// "Wiring that lies" (issue 14): a config that passes `sixgate check` never
// fails at `sixgate run` for a config reason. check builds what run builds
// (checkBuild); these tests hold the configs that used to pass check and then
// fail at start, and sweep every numeric key at its bounds.
import { ConfigSchema, defaultConfig, validateConfig, type Config } from '@sixgate/config';
import { validateDns64Options } from '@sixgate/dns64';
import { resolveOptions } from '@sixgate/tun';
import { describe, expect, it } from 'vitest';
import { BatchClock, buildDataPlane, tunOptions } from './appliance.js';
import { checkBuild } from './check.js';
import { dns64Options } from './options.js';

type Patch = Record<string, unknown>;

function merge(base: Record<string, unknown>, patch: Patch): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) ? merge((base[k] ?? {}) as Record<string, unknown>, v as Patch) : v;
  }
  return out;
}

/** What check decides: the config error, or undefined when valid. */
function configError(patch: Patch): string | undefined {
  try {
    validateConfig(merge(defaultConfig() as unknown as Record<string, unknown>, patch), {});
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** What run builds before its first I/O, with run's own functions; throws what run would throw. */
function runBuild(cfg: Config): void {
  buildDataPlane(cfg, new BatchClock());
  validateDns64Options(dns64Options(cfg, () => true));
  resolveOptions(tunOptions(cfg));
}

describe('configs that passed check and then failed at start', () => {
  it('an RFC 6791 pool of prefixes (documented and validated as prefixes) builds and is used', () => {
    const patch = { nat64: { rfc6791Pool: ['203.0.113.0/28', '192.0.2.9'] } };
    expect(configError(patch)).toBeUndefined();
    const cfg = validateConfig(merge(defaultConfig() as unknown as Record<string, unknown>, patch), {});
    expect(() => runBuild(cfg)).not.toThrow();
    expect(buildDataPlane(cfg, new BatchClock()).translator.config.rfc6791Size).toBe(15);
    expect(checkBuild(cfg).every((f) => f.ok)).toBe(true);
    expect(checkBuild(cfg)[0]!.detail).toContain('RFC 6791 source: 15 addresses');
  });

  it.each([
    { name: 'nat64.ipv4Mtu below the translator\'s 576', patch: { nat64: { ipv4Mtu: 100 } }, key: /nat64\.ipv4Mtu: 100 is below the minimum 576/ },
    { name: 'tcpEstablished above 2^31 - 1 ms', patch: { nat64: { timeouts: { tcpEstablished: 86_400 * 30 } } }, key: /nat64\.timeouts\.tcpEstablished: 2592000 is above the maximum 2147483/ },
    { name: 'pool4 larger than a /16 in total', patch: { nat64: { pool4: ['10.0.0.0/15'] } }, key: /nat64\.pool4: holds 131072 addresses; at most 65536/ },
    { name: 'a cache TTL above what the resolver keeps', patch: { dns64: { cache: { maxTtl: 2_000_000 } } }, key: /dns64\.cache\.maxTtl: 2000000 is above the maximum 604800/ },
    { name: 'a negative TTL above what the resolver keeps', patch: { dns64: { cache: { maxNegativeTtl: 100_000 } } }, key: /dns64\.cache\.maxNegativeTtl: 100000 is above the maximum 86400/ },
    { name: 'a minimum TTL above what the resolver keeps', patch: { dns64: { cache: { minTtl: 100_000, maxTtl: 604_800 } } }, key: /dns64\.cache\.minTtl: 100000 is above the maximum 86400/ },
    { name: 'pool4 larger than a /16 over several prefixes', patch: { nat64: { pool4: ['10.0.0.0/16', '10.2.0.0/24'] } }, key: /nat64\.pool4: holds 65792 addresses/ },
  ])('$name is now refused by check, naming the key', ({ patch, key }) => {
    expect(configError(patch)).toMatch(key);
  });
});

/** Every numeric key of the schema with its bounds, by dotted path. */
function numericKeys(schema: unknown, path = ''): { path: string; min?: number; max?: number }[] {
  const s = schema as { type?: string; properties?: Record<string, unknown>; minimum?: number; maximum?: number };
  if (s.type === 'object' && s.properties) {
    return Object.entries(s.properties).flatMap(([k, v]) => numericKeys(v, path ? `${path}.${k}` : k));
  }
  if (s.type === 'integer' || s.type === 'number') return [{ path, min: s.minimum, max: s.maximum }];
  return [];
}

function at(path: string, value: unknown): Patch {
  return path.split('.').reduceRight<unknown>((acc, k) => ({ [k]: acc }), value) as Patch;
}

describe('every numeric key at its documented bounds', () => {
  const keys = numericKeys(ConfigSchema);

  it('the sweep sees the keys (schema walk works)', () => {
    expect(keys.map((k) => k.path)).toEqual(expect.arrayContaining(['nat64.ipv4Mtu', 'nat64.timeouts.tcpEstablished', 'dns64.timeout', 'nat64.maxSessions']));
    expect(keys.length).toBeGreaterThanOrEqual(25);
  });

  it('a value check accepts, run builds (min and max of each key)', () => {
    const failures: string[] = [];
    for (const k of keys) {
      for (const v of [k.min, k.max]) {
        if (v === undefined) continue;
        const patch = at(k.path, v);
        if (configError(patch) !== undefined) continue; // refused by check: run refuses it too (same loader)
        const cfg = validateConfig(merge(defaultConfig() as unknown as Record<string, unknown>, patch), {});
        try {
          runBuild(cfg);
        } catch (e) {
          failures.push(`${k.path} = ${v}: ${(e as Error).message}`);
        }
        const bad = checkBuild(cfg).filter((f) => !f.ok);
        if (bad.length > 0) failures.push(`${k.path} = ${v}: check says ${bad.map((f) => f.detail).join('; ')}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

describe('checkBuild', () => {
  it('reports what run would fail on, naming the part and the reason', () => {
    // Past the loader's validation (as a config from an older or newer schema might be).
    const cfg = { ...defaultConfig(), nat64: { ...defaultConfig().nat64, rfc6791Pool: ['203.0.113.300'], tun: 'way-too-long-name0' }, api: { listen: '0.0.0.0:8064' } } as Config;
    const f = checkBuild(cfg);
    expect(f.map((x) => [x.what, x.ok])).toEqual([
      ['translator, session state, static BIB and policy', false],
      ['DNS64 options', true],
      ['TUN device options', false],
      ['admin API listen', true], // run generates a token when none is configured
    ]);
    expect(f[0]!.detail).toMatch(/nat64\.rfc6791Pool = "203\.0\.113\.300".*would fail to start/);
    expect(f[2]!.detail).toMatch(/invalid interface name/);
  });

  it('all parts of the default config build', () => {
    expect(checkBuild(defaultConfig()).filter((f) => !f.ok)).toEqual([]);
  });
});
