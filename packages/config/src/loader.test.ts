import { mkdtemp, readFile, rm, writeFile, mkdir, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDocument, isMap, isScalar, type Pair } from 'yaml';
import { ConfigError, defaultConfig, loadConfig, MAX_CONFIG_BYTES } from './index.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'sg-config-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

async function loadError(p: Promise<unknown>): Promise<ConfigError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('load succeeded');
}

describe('file creation', () => {
  it('creates an absent file (and its directory) with commented defaults', async () => {
    const file = join(dir, 'a', 'b', 'sixgate.yaml');
    const loaded = await loadConfig({ file, env: {}, create: true });
    expect(loaded.created).toBe(true);
    expect(loaded.config).toEqual(defaultConfig());
    const text = await readFile(file, 'utf8');
    const doc = parseDocument(text);
    expect(doc.toJS()).toEqual(defaultConfig());
    // A comment line directly above every key, taken from its description.
    const lines = text.split('\n');
    const keyLines = lines.map((l, i) => [l, i] as const).filter(([l]) => /^\s*[A-Za-z0-9]+:/.test(l));
    const countKeys = (o: unknown): number => (typeof o === 'object' && o !== null && !Array.isArray(o) ? Object.values(o).reduce((n: number, v) => n + 1 + countKeys(v), 0) : 0);
    expect(keyLines).toHaveLength(countKeys(defaultConfig()));
    for (const [line, i] of keyLines) expect(lines[i - 1], `comment above ${line}`).toMatch(/^\s*#\s\S/);
    expect(text).toContain('# NAT64 prefix used by DNS64 synthesis');
    const again = await loadConfig({ file, env: {}, create: true });
    expect(again.created).toBe(false);
    expect(again.existed).toBe(true);
  });

  it('creates a .json file as JSON', async () => {
    const file = join(dir, 'sixgate.json');
    const loaded = await loadConfig({ file, env: {}, create: true });
    expect(loaded.format).toBe('json');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(defaultConfig());
  });

  it('never writes pinned values into a created file', async () => {
    const file = join(dir, 'sixgate.yaml');
    const loaded = await loadConfig({ file, env: { SIXGATE_API_TOKEN: 'a-secret-token-0123' }, flags: { prefix: '64:ff9b:1::/96' }, create: true });
    expect(loaded.config.api.token).toBe('a-secret-token-0123');
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('a-secret-token-0123');
    expect(text).not.toContain('64:ff9b:1::');
  });

  it('uses SIXGATE_CONFIG when no file is given', async () => {
    const file = join(dir, 'from-env.yaml');
    const loaded = await loadConfig({ env: { SIXGATE_CONFIG: file }, create: true });
    expect(loaded.file).toBe(file);
    expect(loaded.created).toBe(true);
  });

  it('reports a directory it cannot create as ERR_CONFIG_IO', async () => {
    await writeFile(join(dir, 'blocker'), 'x');
    const err = await loadError(loadConfig({ file: join(dir, 'blocker', 'sixgate.yaml'), env: {}, create: true }));
    expect(err.code).toBe('ERR_CONFIG_IO');
  });

  it('without create (check, every reader) writes nothing: an absent file reads as the defaults', async () => {
    const file = join(dir, 'typo', 'sixgate.yaml');
    const loaded = await loadConfig({ file, env: {}, flags: { prefix: '64:ff9b:1::/96' } });
    expect(loaded).toMatchObject({ created: false, existed: false, file });
    expect(loaded.config).toEqual({ ...defaultConfig(), prefix: '64:ff9b:1::/96' });
    expect(await readdir(dir)).toEqual([]);
    // An invalid absent-file load writes nothing either.
    await loadError(loadConfig({ file, env: { SIXGATE_PREFIX: 'nope' } }));
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('layers', () => {
  const yaml = [
    'prefix: 2001:db8:64::/96',
    'nat64:',
    '  pool4: [198.51.100.0/24]',
    '  tun: nat64file',
    'dns64:',
    '  upstreams: ["192.0.2.53"]',
    '  cache: { maxTtl: 600 }',
    '',
  ].join('\n');

  it('file overrides defaults, key by key in nested maps', async () => {
    const file = join(dir, 'sixgate.yaml');
    await writeFile(file, yaml);
    const { config, pinned, created } = await loadConfig({ file, env: {} });
    expect(created).toBe(false);
    expect(config.prefix).toBe('2001:db8:64::/96');
    expect(config.nat64.pool4).toEqual(['198.51.100.0/24']);
    expect(config.dns64.cache.maxTtl).toBe(600);
    expect(config.dns64.cache.maxEntries).toBe(100000);
    expect(config.nat64.mtu).toBe(1500);
    expect(pinned).toEqual({});
  });

  it('environment overrides the file and pins the keys', async () => {
    const file = join(dir, 'sixgate.yaml');
    await writeFile(file, yaml);
    const env = {
      SIXGATE_PREFIX: '64:ff9b:1::/96',
      SIXGATE_POOL4: ' 192.0.2.0/25 , 192.0.2.128/25 ,',
      SIXGATE_UPSTREAMS: '[2001:db8::53]:53',
      SIXGATE_DNS_LISTEN: '127.0.0.1:5353,[::1]:5353',
      SIXGATE_DNS_CLIENTS: '2001:db8::/32',
      SIXGATE_TUN: 'nat64env',
      SIXGATE_API_LISTEN: '[::1]:9064',
      SIXGATE_API_TOKEN: 'token-from-the-env-123',
      SIXGATE_STATE_DIR: '/tmp/sg-state',
      SIXGATE_NO_ROUTES: '1',
      SIXGATE_LOG_LEVEL: 'debug',
      SIXGATE_UNRELATED: 'ignored',
      HOME: '/root',
    };
    const { config, pinned } = await loadConfig({ file, env });
    expect(config.prefix).toBe('64:ff9b:1::/96');
    expect(config.nat64.pool4).toEqual(['192.0.2.0/25', '192.0.2.128/25']);
    expect(config.dns64.upstreams).toEqual(['[2001:db8::53]:53']);
    expect(config.dns64.listen).toEqual(['127.0.0.1:5353', '[::1]:5353']);
    expect(config.dns64.clients).toEqual(['2001:db8::/32']);
    expect(config.nat64.tun).toBe('nat64env');
    expect(config.api).toEqual({ listen: '[::1]:9064', token: 'token-from-the-env-123' });
    expect(config.stateDir).toBe('/tmp/sg-state');
    expect(config.nat64.manageRoutes).toBe(false);
    expect(config.log.level).toBe('debug');
    expect(config.dns64.cache.maxTtl).toBe(600); // the file still counts where nothing overrides it
    expect(pinned).toEqual({
      prefix: 'SIXGATE_PREFIX',
      'nat64.pool4': 'SIXGATE_POOL4',
      'dns64.upstreams': 'SIXGATE_UPSTREAMS',
      'dns64.listen': 'SIXGATE_DNS_LISTEN',
      'dns64.clients': 'SIXGATE_DNS_CLIENTS',
      'nat64.tun': 'SIXGATE_TUN',
      'api.listen': 'SIXGATE_API_LISTEN',
      'api.token': 'SIXGATE_API_TOKEN',
      stateDir: 'SIXGATE_STATE_DIR',
      'nat64.manageRoutes': 'SIXGATE_NO_ROUTES',
      'log.level': 'SIXGATE_LOG_LEVEL',
    });
  });

  it('flags override the environment and pin with the flag name', async () => {
    const file = join(dir, 'sixgate.yaml');
    await writeFile(file, yaml);
    const { config, pinned } = await loadConfig({
      file,
      env: { SIXGATE_PREFIX: '64:ff9b:1::/96', SIXGATE_TUN: 'nat64env' },
      flags: { prefix: '2001:db8:1::/48', pool4: ['203.0.113.0/24'], upstream: ['192.0.2.1'], noRoutes: true, logLevel: 'warn', apiListen: undefined },
    });
    expect(config.prefix).toBe('2001:db8:1::/48');
    expect(config.nat64.tun).toBe('nat64env');
    expect(config.nat64.pool4).toEqual(['203.0.113.0/24']);
    expect(config.nat64.manageRoutes).toBe(false);
    expect(pinned).toEqual({
      prefix: '--prefix',
      'nat64.tun': 'SIXGATE_TUN',
      'nat64.pool4': '--pool4',
      'dns64.upstreams': '--upstream',
      'nat64.manageRoutes': '--no-routes',
      'log.level': '--log-level',
    });
  });

  it('treats empty variables, empty flag lists and noRoutes=false as not given', async () => {
    const file = join(dir, 'sixgate.yaml');
    const { config, pinned } = await loadConfig({ file, env: { SIXGATE_PREFIX: '', SIXGATE_POOL4: '  ' }, flags: { pool4: [], noRoutes: false } });
    expect(config).toEqual(defaultConfig());
    expect(pinned).toEqual({});
  });

  it('accepts commander\'s routes:false for --no-routes and ignores config', async () => {
    const { config, pinned } = await loadConfig({ file: join(dir, 'c.yaml'), env: {}, flags: { routes: false, config: '/elsewhere.yaml' } });
    expect(config.nat64.manageRoutes).toBe(false);
    expect(pinned).toEqual({ 'nat64.manageRoutes': '--no-routes' });
  });

  it('a pinned value overrides an invalid file value', async () => {
    const file = join(dir, 'sixgate.yaml');
    await writeFile(file, 'prefix: 2001:db8::/33\n');
    await expect(loadConfig({ file, env: {} })).rejects.toThrow(/^prefix: "2001:db8::\/33" is not a valid NAT64 prefix length/);
    const { config } = await loadConfig({ file, env: { SIXGATE_PREFIX: '64:ff9b::/96' } });
    expect(config.prefix).toBe('64:ff9b::/96');
  });
});

describe('errors name the variable or flag', () => {
  it.each([
    { name: 'bad prefix variable', env: { SIXGATE_PREFIX: 'foo' }, flags: {}, line: 'SIXGATE_PREFIX: "foo" is not an IPv6 prefix' },
    { name: 'bad prefix flag', env: {}, flags: { prefix: '64:ff9b::/33' }, line: '--prefix: "64:ff9b::/33" is not a valid NAT64 prefix length (RFC 6052 allows 32, 40, 48, 56, 64, 96)' },
    { name: 'pool4 element', env: { SIXGATE_POOL4: '192.0.2.0/24,10.0.0.1/8' }, flags: {}, line: 'SIXGATE_POOL4 (nat64.pool4[1]): "10.0.0.1/8" has host bits set below /8 (did you mean 10.0.0.0/8?)' },
    { name: 'NO_ROUTES value', env: { SIXGATE_NO_ROUTES: 'maybe' }, flags: {}, line: 'SIXGATE_NO_ROUTES: "maybe" is not 1 (routes left to the operator) or 0' },
    { name: 'log level', env: { SIXGATE_LOG_LEVEL: 'loud' }, flags: {}, line: 'SIXGATE_LOG_LEVEL: "loud" is not one of fatal, error, warn, info, debug, trace' },
    { name: 'short token', env: {}, flags: { apiToken: 'abc' }, line: '--api-token: "abc" is shorter than 16 characters' },
    { name: 'flag type', env: {}, flags: { pool4: 5 }, line: '--pool4: 5 is not a list of strings' },
    { name: 'unknown flag', env: {}, flags: { prefx: '64:ff9b::/96' }, line: /^flags\.prefx: is not a known option/ },
    { name: 'listen', env: { SIXGATE_API_LISTEN: '127.0.0.1' }, flags: {}, line: /^SIXGATE_API_LISTEN: "127\.0\.0\.1" is not "addr:port"/ },
  ])('$name', async ({ env, flags, line }) => {
    const err = await loadError(loadConfig({ file: join(dir, 'sixgate.yaml'), env, flags }));
    expect(err.code).toBe('ERR_CONFIG_INVALID');
    expect(err.issues).toHaveLength(1);
    if (typeof line === 'string') expect(err.issues[0]).toBe(line);
    else expect(err.issues[0]).toMatch(line);
  });
});

describe('bad files', () => {
  it.each([
    { name: 'YAML syntax', text: 'prefix: [unclosed\n', re: /is not valid YAML/ },
    { name: 'duplicate key', text: 'prefix: 64:ff9b::/96\nprefix: 64:ff9b:1::/96\n', re: /is not valid YAML/ },
    { name: 'top-level list', text: '- a\n- b\n', re: /must contain a mapping of keys/ },
    { name: 'top-level scalar', text: 'hello\n', re: /must contain a mapping of keys/ },
  ])('$name in YAML is ERR_CONFIG_PARSE', async ({ text, re }) => {
    const file = join(dir, 'sixgate.yaml');
    await writeFile(file, text);
    const err = await loadError(loadConfig({ file, env: {} }));
    expect(err.code).toBe('ERR_CONFIG_PARSE');
    expect(err.message).toMatch(re);
    expect(err.message.startsWith(file)).toBe(true);
  });

  it('truncated JSON is ERR_CONFIG_PARSE', async () => {
    const file = join(dir, 'sixgate.json');
    await writeFile(file, JSON.stringify(defaultConfig()).slice(0, 100));
    const err = await loadError(loadConfig({ file, env: {} }));
    expect(err.code).toBe('ERR_CONFIG_PARSE');
    expect(err.message).toMatch(/is not valid JSON/);
  });

  it('an oversized file is refused without parsing it', async () => {
    const file = join(dir, 'sixgate.yaml');
    await writeFile(file, `# ${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
    const err = await loadError(loadConfig({ file, env: {} }));
    expect(err.code).toBe('ERR_CONFIG_PARSE');
    expect(err.message).toMatch(/is larger than 1048576 bytes/);
  });

  it('an alias bomb is refused', async () => {
    const file = join(dir, 'sixgate.yaml');
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++) lines.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`);
    await writeFile(file, `${lines.join('\n')}\n`);
    const err = await loadError(loadConfig({ file, env: {} }));
    expect(err.code).toBe('ERR_CONFIG_PARSE');
  });

  it('an empty file means all defaults', async () => {
    const file = join(dir, 'sixgate.yaml');
    await writeFile(file, '# nothing yet\n');
    const { config, created } = await loadConfig({ file, env: {} });
    expect(created).toBe(false);
    expect(config).toEqual(defaultConfig());
  });

  it('a file that is a directory is ERR_CONFIG_IO', async () => {
    const file = join(dir, 'sixgate.yaml');
    await mkdir(file);
    const err = await loadError(loadConfig({ file, env: {} }));
    expect(err.code).toBe('ERR_CONFIG_IO');
  });

  it('file errors name the key and value', async () => {
    const file = join(dir, 'sixgate.yaml');
    await writeFile(file, 'dns64:\n  timeout: 0\n  upstream: [192.0.2.53]\n');
    const err = await loadError(loadConfig({ file, env: {} }));
    expect(err.issues).toEqual(['dns64.upstream: unknown key (did you mean "upstreams"?)', 'dns64.timeout: 0 is below the minimum 0.1']);
  });

  it.each([
    { name: 'YAML', file: 'sixgate.yaml', text: '__proto__:\n  polluted: true\nnat64:\n  __proto__: { mtu: 5 }\n' },
    { name: 'JSON', file: 'sixgate.json', text: '{"__proto__": {"polluted": true}, "nat64": {"__proto__": {"mtu": 5}}}' },
  ])('a __proto__ key in $name is an unknown key, not a prototype', async ({ file, text }) => {
    await writeFile(join(dir, file), text);
    const err = await loadError(loadConfig({ file: join(dir, file), env: {} }));
    expect(err.issues).toEqual([expect.stringMatching(/^__proto__: unknown key/), expect.stringMatching(/^nat64\.__proto__: unknown key/)]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('JSON content in a file without extension is read as JSON', async () => {
    const file = join(dir, 'sixgate.conf');
    await writeFile(file, '{"nat64": {"mtu": 9000}}');
    const { config, format } = await loadConfig({ file, env: {} });
    expect(format).toBe('json');
    expect(config.nat64.mtu).toBe(9000);
  });
});

describe('leftover temp files', () => {
  it('a crashed writer\'s temp file is never read and is cleaned up', async () => {
    const file = join(dir, 'sixgate.yaml');
    await writeFile(file, 'nat64:\n  mtu: 1400\n');
    // What a writer killed between write and rename leaves: a dead pid in the name.
    const stale = join(dir, '.sixgate.yaml.tmp-999999999-abcdef');
    await writeFile(stale, 'nat64:\n  mtu: 9000\n');
    // A reader leaves it alone (it writes nothing); the owner (run) cleans it up.
    expect((await loadConfig({ file, env: {} })).config.nat64.mtu).toBe(1400);
    expect((await readdir(dir)).sort()).toEqual(['.sixgate.yaml.tmp-999999999-abcdef', 'sixgate.yaml']);
    const { config } = await loadConfig({ file, env: {}, create: true });
    expect(config.nat64.mtu).toBe(1400);
    expect(await readdir(dir)).toEqual(['sixgate.yaml']);
  });
});

// Reads back the comment above a key of the created file (sanity for the generator).
it('comments sit on the key nodes of the document', async () => {
  const file = join(dir, 'sixgate.yaml');
  await loadConfig({ file, env: {}, create: true });
  const doc = parseDocument(await readFile(file, 'utf8'));
  const nat64 = doc.get('nat64', true);
  expect(isMap(nat64)).toBe(true);
  const mtu = (nat64 as unknown as { items: Pair[] }).items.find((p) => isScalar(p.key) && p.key.value === 'mtu')!;
  expect((mtu.key as { commentBefore?: string }).commentBefore?.trim()).toBe('MTU of the TUN device');
});
