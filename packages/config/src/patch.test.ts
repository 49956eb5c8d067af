import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { applyPatch, ConfigError, ConfigPatchSchema, ConfigSchema, defaultConfig, keepPinned, pinnedConflicts, redact, REDACTED } from './index.js';

function patchError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('patch was accepted');
}

describe('applyPatch', () => {
  it('deep-merges objects and replaces arrays, without touching the input', () => {
    const base = defaultConfig();
    base.nat64.pool4 = ['192.0.2.0/24', '198.51.100.0/24'];
    const snapshot = structuredClone(base);
    const next = applyPatch(base, { nat64: { pool4: ['203.0.113.0/24'], timeouts: { udp: 120 } }, dns64: { cache: { maxTtl: 60 } } });
    expect(next.nat64.pool4).toEqual(['203.0.113.0/24']);
    expect(next.nat64.timeouts).toEqual({ ...base.nat64.timeouts, udp: 120 });
    expect(next.dns64.cache).toEqual({ ...base.dns64.cache, maxTtl: 60 });
    expect(next.nat64.mtu).toBe(base.nat64.mtu);
    expect(base).toEqual(snapshot);
  });

  it('null removes an optional key (RFC 7396)', () => {
    const base = applyPatch(defaultConfig(), { api: { token: 'a-token-of-16-chars' } });
    expect(base.api.token).toBe('a-token-of-16-chars');
    expect(applyPatch(base, { api: { token: null } }).api).toEqual({ listen: '127.0.0.1:8064' });
  });

  it('null on a required key is an invalid result', () => {
    const err = patchError(() => applyPatch(defaultConfig(), { api: { listen: null } }));
    expect(err.code).toBe('ERR_CONFIG_INVALID');
    expect(err.issues).toEqual(['api.listen: is required']);
  });

  it.each([
    { name: 'unknown key', patch: { nat64: { mtuu: 1400 } }, line: 'nat64.mtuu: unknown key (did you mean "mtu"?)' },
    { name: 'wrong type', patch: { nat64: { mtu: '1400' } }, line: 'nat64.mtu: "1400" is not a whole number' },
    { name: 'semantic rule', patch: { prefix: '2001:db8::/33' }, line: 'prefix: "2001:db8::/33" is not a valid NAT64 prefix length (RFC 6052 allows 32, 40, 48, 56, 64, 96)' },
    { name: 'cross-key rule', patch: { nat64: { staticBib: [{ protocol: 'udp', ipv6: '[2001:db8::1]:53', ipv4: '203.0.113.1:5353' }] } }, line: 'nat64.staticBib[0].ipv4: "203.0.113.1:5353" is not inside nat64.pool4 (192.168.255.0/24)' },
  ])('rejects $name', ({ patch, line }) => {
    const err = patchError(() => applyPatch(defaultConfig(), patch));
    expect(err.code).toBe('ERR_CONFIG_INVALID');
    expect(err.issues).toEqual([line]);
  });

  it('rejects a non-object patch', () => {
    for (const p of [null, 5, 'x', [1]]) {
      expect(patchError(() => applyPatch(defaultConfig(), p as never)).code).toBe('ERR_CONFIG_INVALID');
    }
  });

  it('refuses to change a pinned key and names the flag', () => {
    const pinned = { prefix: '--prefix', 'nat64.pool4': 'SIXGATE_POOL4' };
    const err = patchError(() => applyPatch(defaultConfig(), { prefix: '64:ff9b:1::/96', nat64: { pool4: ['192.0.2.0/24'], mtu: 1400 } }, pinned));
    expect(err.code).toBe('ERR_CONFIG_PINNED');
    expect(err.issues).toEqual([
      'prefix is pinned by --prefix and cannot be changed here (change or remove --prefix and restart)',
      'nat64.pool4 is pinned by SIXGATE_POOL4 and cannot be changed here (change or remove SIXGATE_POOL4 and restart)',
    ]);
  });

  it('allows a pinned key in the patch when its value does not change', () => {
    const base = defaultConfig();
    const pinned = { prefix: '--prefix' };
    expect(pinnedConflicts(base, { prefix: base.prefix }, pinned)).toEqual([]);
    expect(applyPatch(base, { prefix: base.prefix, log: { level: 'trace' } }, pinned).log.level).toBe('trace');
  });

  it('a whole-section patch counts as touching the pinned key inside it', () => {
    const base = defaultConfig();
    expect(pinnedConflicts(base, { api: { listen: '127.0.0.1:9999' } }, { 'api.listen': 'SIXGATE_API_LISTEN' })).toHaveLength(1);
    expect(pinnedConflicts(base, { api: { token: 'x'.repeat(16) } }, { 'api.listen': 'SIXGATE_API_LISTEN' })).toEqual([]);
  });
});

describe('keepPinned (rollback)', () => {
  it('takes the target but keeps pinned keys from the current config', () => {
    const pinned = { prefix: 'SIXGATE_PREFIX', 'api.token': '--api-token' };
    const current = applyPatch(defaultConfig(), { prefix: '64:ff9b:1::/96', api: { token: 'current-token-0123' }, nat64: { mtu: 1400 } });
    const old = applyPatch(defaultConfig(), { prefix: '2001:db8::/96', nat64: { mtu: 9000 } });
    const restored = keepPinned(old, current, pinned);
    expect(restored.prefix).toBe('64:ff9b:1::/96');
    expect(restored.api.token).toBe('current-token-0123');
    expect(restored.nat64.mtu).toBe(9000);
    expect(old.prefix).toBe('2001:db8::/96');
  });

  it('validates the result (an old version may be invalid today)', () => {
    const old = { ...defaultConfig(), nat64: { ...defaultConfig().nat64, removedKey: 1 } };
    expect(() => keepPinned(old as never, defaultConfig(), {})).toThrow(/nat64\.removedKey: unknown key/);
  });
});

describe('ConfigPatchSchema', () => {
  it('accepts partial bodies and has no defaults to fill in', () => {
    expect(Value.Check(ConfigPatchSchema, {})).toBe(true);
    expect(Value.Check(ConfigPatchSchema, { nat64: { mtu: 1400 } })).toBe(true);
    expect(Value.Default(ConfigPatchSchema, { nat64: {} })).toEqual({ nat64: {} });
    expect(JSON.stringify(ConfigPatchSchema)).not.toContain('"default"');
  });

  it('still rejects unknown keys and wrong types', () => {
    expect(Value.Check(ConfigPatchSchema, { nat64: { mtuu: 1400 } })).toBe(false);
    expect(Value.Check(ConfigPatchSchema, { nat64: { mtu: 'big' } })).toBe(false);
    expect(Value.Check(ConfigPatchSchema, { nat64: { staticBib: [{ protocol: 'tcp' }] } })).toBe(false);
  });

  it('leaves ConfigSchema complete', () => {
    expect(Value.Check(ConfigSchema, {})).toBe(false);
    expect(Value.Check(ConfigSchema, defaultConfig())).toBe(true);
  });

  it('compiles with Ajv in strict mode (as the admin API will use it)', async () => {
    const { default: Ajv } = await import('ajv');
    const ajv = new Ajv({ strict: true, allErrors: true });
    const validate = ajv.compile(ConfigPatchSchema);
    expect(validate({ prefix: '64:ff9b::/96', dns64: { cache: { maxTtl: 5 } } })).toBe(true);
    expect(validate({ dns64: { upstream: [] } })).toBe(false);
    const full = ajv.compile(ConfigSchema);
    expect(full(defaultConfig())).toBe(true);
  });
});

describe('redact', () => {
  it('replaces the token and nothing else, without touching the input', () => {
    const c = applyPatch(defaultConfig(), { api: { token: 'a-token-of-16-chars' } });
    const r = redact(c);
    expect(r.api.token).toBe(REDACTED);
    expect({ ...r, api: { ...r.api, token: c.api.token } }).toEqual(c);
    expect(c.api.token).toBe('a-token-of-16-chars');
    expect(JSON.stringify(r)).not.toContain('a-token-of-16-chars');
  });

  it('leaves an absent token absent', () => {
    expect(redact(defaultConfig())).toEqual(defaultConfig());
  });
});
