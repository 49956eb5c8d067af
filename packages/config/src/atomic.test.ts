// The one writer for sixgate's files (issue 14, "no change is lost"): keeps a
// symlinked file's link, the target's owner and mode, and survives a kill at
// any point with the old or the new content, never a torn file.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, removeStaleTempFiles, resolveWriteTarget, writeFileAtomic } from './index.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'sg-atomic-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const isRoot = process.getuid?.() === 0;

describe('writeFileAtomic keeps what the operator gave the file', () => {
  it('writes through a symlink: the link stays a link, its target gets the content', async () => {
    await mkdir(join(dir, 'etc'));
    const target = join(dir, 'etc', 'sixgate.yaml');
    await writeFile(target, 'old\n');
    const link = join(dir, 'sixgate.yaml');
    await symlink('etc/sixgate.yaml', link); // relative, as `ln -s` makes them
    await writeFileAtomic(link, 'new\n');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe('etc/sixgate.yaml');
    expect(await readFile(target, 'utf8')).toBe('new\n');
    // No temp file left in either directory.
    expect(await readdir(join(dir, 'etc'))).toEqual(['sixgate.yaml']);
    expect(await readdir(dir)).toEqual(['etc', 'sixgate.yaml']);
  });

  it('follows a chain of links, and a dangling link creates its target', async () => {
    const real = join(dir, 'real', 'conf.yaml');
    await symlink(join(dir, 'real', 'conf.yaml'), join(dir, 'b'));
    await symlink('b', join(dir, 'a'));
    expect(await resolveWriteTarget(join(dir, 'a'))).toBe(real);
    await writeFileAtomic(join(dir, 'a'), 'x: 1\n', { mode: 0o600 });
    expect(await readFile(real, 'utf8')).toBe('x: 1\n');
    expect((await stat(real)).mode & 0o777).toBe(0o600);
    expect((await lstat(join(dir, 'a'))).isSymbolicLink()).toBe(true);
    expect((await lstat(join(dir, 'b'))).isSymbolicLink()).toBe(true);
  });

  it('refuses a link loop with a clear error and writes nothing', async () => {
    await symlink('loop2', join(dir, 'loop1'));
    await symlink('loop1', join(dir, 'loop2'));
    const err = await writeFileAtomic(join(dir, 'loop1'), 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/loop1: cannot write \(more than 40 symbolic links\)/);
    expect((await readdir(dir)).sort()).toEqual(['loop1', 'loop2']);
  });

  it('keeps the mode of an existing file (the mode option is for new files only)', async () => {
    const file = join(dir, 'sixgate.yaml');
    await writeFile(file, 'old\n');
    await chmod(file, 0o640);
    await writeFileAtomic(file, 'new\n', { mode: 0o600 });
    expect((await stat(file)).mode & 0o7777).toBe(0o640);
    await writeFileAtomic(join(dir, 'fresh'), 'x', { mode: 0o600 });
    expect((await stat(join(dir, 'fresh'))).mode & 0o7777).toBe(0o600);
    await writeFileAtomic(join(dir, 'default'), 'x');
    expect((await stat(join(dir, 'default'))).mode & 0o7777).toBe(0o644);
  });

  it('keeps the owner and group of an existing file (and its set-group-id bit)', async () => {
    const file = join(dir, 'sixgate.yaml');
    await writeFile(file, 'old\n');
    // As root (the test suite's normal case) hand the file to another owner; otherwise it is ours.
    const uid = isRoot ? 4242 : process.getuid!();
    const gid = isRoot ? 4343 : process.getgid!();
    if (isRoot) await chown(file, uid, gid);
    await chmod(file, 0o2660);
    await writeFileAtomic(file, 'new\n');
    const s = await stat(file);
    expect([s.uid, s.gid, s.mode & 0o7777]).toEqual([uid, gid, 0o2660]);
    expect(await readFile(file, 'utf8')).toBe('new\n');
  });

  it('refuses to replace something that is not a regular file', async () => {
    await mkdir(join(dir, 'sixgate.yaml'));
    const err = await writeFileAtomic(join(dir, 'sixgate.yaml'), 'x').catch((e: unknown) => e);
    expect((err as ConfigError).code).toBe('ERR_CONFIG_IO');
    expect((err as Error).message).toMatch(/not a regular file/);
    expect(await readdir(dir)).toEqual(['sixgate.yaml']);
  });

  it('writes binary data byte for byte', async () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37) & 0xff);
    await writeFileAtomic(join(dir, 'blob'), bytes);
    expect(new Uint8Array(await readFile(join(dir, 'blob')))).toEqual(bytes);
  });

  it('removeStaleTempFiles looks next to the link\'s target, where the writer puts its temp files', async () => {
    await mkdir(join(dir, 'etc'));
    await writeFile(join(dir, 'etc', 'sixgate.yaml'), 'x');
    await symlink('etc/sixgate.yaml', join(dir, 'sixgate.yaml'));
    // pid 2^22+1 is above Linux's pid_max: a writer that cannot be alive.
    await writeFile(join(dir, 'etc', '.sixgate.yaml.tmp-4194305-abcdef'), 'torn');
    expect(await removeStaleTempFiles(join(dir, 'sixgate.yaml'))).toEqual(['.sixgate.yaml.tmp-4194305-abcdef']);
    expect(await readdir(join(dir, 'etc'))).toEqual(['sixgate.yaml']);
  });
});

/** Builds atomic.ts (and errors.ts) to plain JS so a separate node process can run it. */
async function buildWriter(into: string): Promise<string> {
  await mkdir(into);
  for (const name of ['atomic', 'errors']) {
    const src = await readFile(new URL(`./${name}.ts`, import.meta.url), 'utf8');
    const out = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
    await writeFile(join(into, `${name}.js`), out.outputText);
  }
  await writeFile(join(into, 'package.json'), '{"type":"module"}');
  return join(into, 'atomic.js');
}

/** A version of the file: 1 MiB named by its number, so a torn mix of two is detectable. */
function version(n: number): Buffer {
  const b = Buffer.alloc(1 << 20, n & 0xff);
  b.write(`version ${n}\n`, 0);
  return b;
}
const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('crash safety', () => {
  it('a writer killed at random points always leaves a complete old or new file (30 kills)', async () => {
    const writer = await buildWriter(join(dir, 'build'));
    const file = join(dir, 'state', 'sessions.json');
    await mkdir(join(dir, 'state'));
    await writeFile(file, version(0));
    const valid = new Map<string, number>();
    for (let n = 0; n <= 1000; n++) valid.set(digest(version(n)), n);
    // The child rewrites the file with version 1, 2, 3, … as fast as it can; a line per completed write.
    const script = `import { writeFileAtomic } from ${JSON.stringify(writer)};
      const file = process.argv[1];
      for (let n = Number(process.argv[2]); n <= 1000; n++) {
        const b = Buffer.alloc(1 << 20, n & 0xff);
        b.write('version ' + n + '\\n', 0);
        await writeFileAtomic(file, b);
        process.stdout.write(n + '\\n');
      }`;
    let next = 1;
    const seen = new Set<number>();
    for (let kill = 0; kill < 30; kill++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, file, String(next)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      // Kill after the first completed write plus a random 0–15 ms: somewhere inside a later write.
      await new Promise<void>((resolve, reject) => {
        const bound = setTimeout(() => reject(new Error(`writer made no progress in 10 s: ${err}`)), 10_000);
        child.stdout.once('data', () => {
          clearTimeout(bound);
          setTimeout(() => {
            child.kill('SIGKILL');
            resolve();
          }, Math.floor(Math.random() * 16));
        });
      });
      const code = await new Promise<string | null>((r) => child.once('exit', (_c, sig) => r(sig)));
      expect(code, err).toBe('SIGKILL');
      const n = valid.get(digest(await readFile(file)));
      expect(n, 'the file is a complete version, never a torn mix').toBeDefined();
      expect(n!).toBeGreaterThanOrEqual(next); // at least the write it reported survived
      seen.add(n!);
      // A killed writer may leave its temp file, never under the file's name; the cleaner removes it.
      await removeStaleTempFiles(file);
      expect(await readdir(join(dir, 'state'))).toEqual(['sessions.json']);
      next = n! + 1;
      if (next > 900) break;
    }
    expect(seen.size).toBeGreaterThan(1);
  }, 120_000);
});
