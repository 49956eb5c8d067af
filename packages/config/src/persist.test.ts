import { spawnSync } from 'node:child_process';
import { chown, lstat, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile, chmod, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPatch, ConfigError, defaultConfig, loadConfig, saveConfig, writeFileAtomic } from './index.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'sg-config-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const HAND_WRITTEN = `# Branch office NAT64 — owned by the network team.
# Do not remove the pool comment: ticket NET-42.

prefix: 64:ff9b:1::/96   # RFC 8215 local-use prefix

dns64:
  # our resolvers
  upstreams:
    - 192.0.2.53     # primary
    - 192.0.2.54
  timeout: 3

nat64:
  pool4: [198.51.100.0/24]  # NET-42
  mtu: 1500
  timeouts:
    udp: 600 # long-lived VPN flows

log:
  level: info
`;

/** What the yaml printer does to untouched lines: one space before a trailing comment. */
function normalize(text: string): string {
  return text.replace(/(\S) {2,}#/g, '$1 #');
}

describe('saveConfig (YAML)', () => {
  it('keeps the operator\'s comments and key order when a value changes', async () => {
    const file = join(dir, 'sixgate.yaml');
    await writeFile(file, HAND_WRITTEN);
    const { config, pinned } = await loadConfig({ file, env: {} });
    const next = applyPatch(config, { nat64: { mtu: 9000, timeouts: { udp: 900 } }, dns64: { cache: { maxTtl: 600 } } });
    expect(await saveConfig(file, next, pinned)).toBe(3);
    const text = await readFile(file, 'utf8');
    const expected = HAND_WRITTEN
      .replace('  mtu: 1500', '  mtu: 9000')
      .replace('    udp: 600 # long-lived VPN flows', '    udp: 900 # long-lived VPN flows');
    // Every comment and key stays where it was; only the spacing before a trailing comment is normalized.
    const addedKey = '  # DNS64 answer cache\n  cache:\n    # Longest TTL the cache keeps an answer for (seconds)\n    maxTtl: 600\n';
    expect(text).toContain(`\n  timeout: 3\n${addedKey}`);
    // The added key is commented like a generated file.
    expect(text.replace(addedKey, '')).toBe(normalize(expected));
    const reloaded = await loadConfig({ file, env: {} });
    expect(reloaded.config).toEqual(next);
  });

  it('writes nothing when nothing changed', async () => {
    const file = join(dir, 'sixgate.yaml');
    await writeFile(file, HAND_WRITTEN);
    const before = await stat(file);
    const { config, pinned } = await loadConfig({ file, env: {} });
    expect(await saveConfig(file, config, pinned)).toBe(0);
    expect((await stat(file)).mtimeMs).toBe(before.mtimeMs);
    expect(await readFile(file, 'utf8')).toBe(HAND_WRITTEN);
  });

  it('replaces a list but keeps its flow style and comment', async () => {
    const file = join(dir, 'sixgate.yaml');
    await writeFile(file, HAND_WRITTEN);
    const { config } = await loadConfig({ file, env: {} });
    await saveConfig(file, applyPatch(config, { nat64: { pool4: ['198.51.100.0/24', '203.0.113.0/24'] } }));
    expect(await readFile(file, 'utf8')).toContain('  pool4: [198.51.100.0/24, 203.0.113.0/24] # NET-42\n');
  });

  it('never writes pinned values, and keeps the file\'s own value of a pinned key', async () => {
    const file = join(dir, 'sixgate.yaml');
    await writeFile(file, HAND_WRITTEN);
    const env = { SIXGATE_PREFIX: '2001:db8:64::/96', SIXGATE_API_TOKEN: 'secret-token-from-env', SIXGATE_NO_ROUTES: '1' };
    const { config, pinned } = await loadConfig({ file, env });
    const next = applyPatch(config, { log: { level: 'debug' } }, pinned);
    expect(await saveConfig(file, next, pinned)).toBe(1);
    const text = await readFile(file, 'utf8');
    expect(text).toBe(normalize(HAND_WRITTEN.replace('  level: info', '  level: debug')));
    expect(text).not.toContain('secret-token-from-env');
    expect(text).not.toContain('manageRoutes');
    const again = await loadConfig({ file, env });
    expect(again.config).toEqual(next);
  });

  it('removes a key set to absent (token deleted through PATCH null)', async () => {
    const file = join(dir, 'sixgate.yaml');
    await writeFile(file, 'api:\n  # set by hand\n  token: a-long-enough-token\n  listen: 127.0.0.1:8064\n');
    const { config } = await loadConfig({ file, env: {} });
    await saveConfig(file, applyPatch(config, { api: { token: null } }));
    // The comment above the removed key is kept (it may be about more than that key).
    expect(await readFile(file, 'utf8')).toBe('api:\n  # set by hand\n  listen: 127.0.0.1:8064\n');
  });

  it('refuses to write an invalid config and leaves the file alone', async () => {
    const file = join(dir, 'sixgate.yaml');
    await writeFile(file, HAND_WRITTEN);
    const bad = { ...defaultConfig(), prefix: '2001:db8::/33' };
    await expect(saveConfig(file, bad)).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' });
    expect(await readFile(file, 'utf8')).toBe(HAND_WRITTEN);
  });

  it('creates a missing file as commented defaults plus the changes', async () => {
    const file = join(dir, 'new', 'sixgate.yaml');
    const next = { ...defaultConfig(), prefix: '64:ff9b:1::/96' };
    await saveConfig(file, next);
    const text = await readFile(file, 'utf8');
    expect(text).toContain('# NAT64 prefix used by DNS64 synthesis');
    expect(text).toContain('prefix: 64:ff9b:1::/96');
    expect((await loadConfig({ file, env: {} })).config).toEqual(next);
  });

  it('round-trips static BIB entries and policy rules (lists of objects)', async () => {
    const file = join(dir, 'sixgate.yaml');
    await writeFile(file, HAND_WRITTEN);
    const { config } = await loadConfig({ file, env: {} });
    const next = applyPatch(config, {
      nat64: {
        staticBib: [{ protocol: 'tcp', ipv6: '[2001:db8::80]:80', ipv4: '198.51.100.1:8080' }],
        policy: [{ id: 'no-smtp', action: 'deny', protocol: 'tcp', ports: '25' }, { id: 'lab', action: 'allow', source6: '2001:db8:1::/48' }],
      },
    });
    await saveConfig(file, next);
    const text = await readFile(file, 'utf8');
    expect(text).toContain('# Static BIB entries');
    expect(text).toContain('# Do not remove the pool comment: ticket NET-42.');
    expect((await loadConfig({ file, env: {} })).config).toEqual(next);
    // And back to empty lists.
    await saveConfig(file, applyPatch(next, { nat64: { staticBib: [], policy: [] } }));
    expect((await loadConfig({ file, env: {} })).config).toEqual(config);
  });

  it('keeps the file mode', async () => {
    const file = join(dir, 'sixgate.yaml');
    await writeFile(file, HAND_WRITTEN);
    await chmod(file, 0o640);
    const { config } = await loadConfig({ file, env: {} });
    await saveConfig(file, applyPatch(config, { nat64: { mtu: 1400 } }));
    expect((await stat(file)).mode & 0o777).toBe(0o640);
  });

  it('writes through a symlinked config: the link, the target\'s owner, group and mode stay', async () => {
    await mkdir(join(dir, 'etc'));
    const target = join(dir, 'etc', 'branch.yaml');
    await writeFile(target, HAND_WRITTEN);
    await chmod(target, 0o640);
    const root = process.getuid?.() === 0;
    if (root) await chown(target, 4242, 4343);
    const file = join(dir, 'sixgate.yaml');
    await symlink(target, file);
    const { config } = await loadConfig({ file, env: {} });
    expect(await saveConfig(file, applyPatch(config, { nat64: { mtu: 1400 } }))).toBe(1);
    expect((await lstat(file)).isSymbolicLink()).toBe(true);
    const s = await stat(target);
    expect([s.mode & 0o777, s.uid, s.gid]).toEqual([0o640, root ? 4242 : process.getuid!(), root ? 4343 : process.getgid!()]);
    expect(await readFile(target, 'utf8')).toContain('mtu: 1400');
    expect((await loadConfig({ file, env: {} })).config.nat64.mtu).toBe(1400);
  });
});

describe('saveConfig (JSON)', () => {
  it('round-trips: JSON stays JSON with the key order kept', async () => {
    const file = join(dir, 'sixgate.json');
    const original = { log: { level: 'warn' }, nat64: { mtu: 1400, pool4: ['192.0.2.0/24'] }, prefix: '64:ff9b::/96' };
    await writeFile(file, JSON.stringify(original, null, 2));
    const { config, format } = await loadConfig({ file, env: {} });
    expect(format).toBe('json');
    const next = applyPatch(config, { nat64: { mtu: 1480 }, dns64: { timeout: 1.5 } });
    await saveConfig(file, next);
    const text = await readFile(file, 'utf8');
    const data = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(data)).toEqual(['log', 'nat64', 'prefix', 'dns64']);
    expect(data).toEqual({ log: { level: 'warn' }, nat64: { mtu: 1480, pool4: ['192.0.2.0/24'] }, prefix: '64:ff9b::/96', dns64: { timeout: 1.5 } });
    expect((await loadConfig({ file, env: {} })).config).toEqual(next);
  });
});

describe('atomic write', () => {
  it('a failed rename leaves the old file intact and no temp file', async () => {
    const file = join(dir, 'sixgate.yaml');
    await writeFile(file, HAND_WRITTEN);
    const { config } = await loadConfig({ file, env: {} });
    let seenTemp = '';
    const err = await saveConfig(file, applyPatch(config, { nat64: { mtu: 9000 } }), {}, {
      beforeRename: async (tmp) => {
        seenTemp = tmp;
        // The temp file is complete and durable before the rename.
        expect(await readFile(tmp, 'utf8')).toContain('mtu: 9000');
        throw Object.assign(new Error('EIO: simulated rename failure'), { code: 'EIO' });
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('ERR_CONFIG_IO');
    expect((err as ConfigError).message).toMatch(/simulated rename failure/);
    expect(seenTemp.startsWith(join(dir, '.sixgate.yaml.tmp-'))).toBe(true);
    expect(await readFile(file, 'utf8')).toBe(HAND_WRITTEN);
    expect(await readdir(dir)).toEqual(['sixgate.yaml']);
  });

  it('a process killed between write and rename leaves the old file, and the temp file is not read', async () => {
    // Build atomic.ts (and errors.ts) to plain JS so a separate node process can run it.
    const build = join(dir, 'build');
    await mkdir(build);
    for (const name of ['atomic', 'errors']) {
      const src = await readFile(new URL(`./${name}.ts`, import.meta.url), 'utf8');
      const out = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
      await writeFile(join(build, `${name}.js`), out.outputText);
    }
    await writeFile(join(build, 'package.json'), '{"type":"module"}');
    const file = join(dir, 'sixgate.yaml');
    await writeFile(file, HAND_WRITTEN);
    const script = `import { writeFileAtomic } from ${JSON.stringify(join(build, 'atomic.js'))};
      await writeFileAtomic(process.argv[1], 'prefix: 2001:db8::/32\\n', { beforeRename: () => process.kill(process.pid, 'SIGKILL') });`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script, file], { timeout: 20_000, encoding: 'utf8' });
    expect(child.signal, child.stderr).toBe('SIGKILL');
    const left = (await readdir(dir)).filter((n) => n.startsWith('.sixgate.yaml.tmp-'));
    expect(left).toHaveLength(1);
    expect(await readFile(join(dir, left[0]!), 'utf8')).toBe('prefix: 2001:db8::/32\n');
    expect(await readFile(file, 'utf8')).toBe(HAND_WRITTEN);
    const { config } = await loadConfig({ file, env: {}, create: true });
    expect(config.prefix).toBe('64:ff9b:1::/96');
    expect((await readdir(dir)).filter((n) => n.startsWith('.sixgate.yaml.tmp-'))).toEqual([]);
  });

  it('writes the exact mode asked for, regardless of umask', async () => {
    const file = join(dir, 'secret.json');
    await writeFileAtomic(file, '{}', { mode: 0o600 });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
});
