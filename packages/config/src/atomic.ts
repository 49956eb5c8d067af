/**
 * Crash-safe file replacement: write a temp file in the same directory, fsync
 * it, rename it over the target, fsync the directory. A crash at any point
 * leaves either the old file or the new one, never a mix; a leftover temp file
 * has a name no loader reads (`.<name>.tmp-<pid>-<random>`).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ConfigError } from './errors.js';

/** Test seams: run between the fsync of the temp file and the rename. */
export interface AtomicWriteOptions {
  /** File mode for a new file (an existing file's mode is the caller's to pass). */
  readonly mode?: number;
  /** Called after the temp file is durable and before the rename; may throw. */
  readonly beforeRename?: (tmp: string) => void | Promise<void>;
}

function tempPrefix(file: string): string {
  return `.${basename(file)}.tmp-`;
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Atomically replaces `file` with `data`, creating the directory if needed. */
export async function writeFileAtomic(file: string, data: string, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(file);
  const tmp = join(dir, `${tempPrefix(file)}${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    await mkdir(dir, { recursive: true });
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.chmod(options.mode ?? 0o644); // exact mode, whatever the umask
      await handle.writeFile(data, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await options.beforeRename?.(tmp);
    await rename(tmp, file);
    await fsyncDir(dir);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    if (err instanceof ConfigError) throw err;
    throw new ConfigError('ERR_CONFIG_IO', [`${file}: cannot write (${(err as Error).message})`], { cause: err });
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temp files a crashed writer left next to `file` (writers that are
 * still alive keep theirs). Returns the names removed.
 */
export async function removeStaleTempFiles(file: string): Promise<string[]> {
  const dir = dirname(file);
  const prefix = tempPrefix(file);
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1] ?? NaN);
    if (Number.isInteger(pid) && pid !== process.pid && pidAlive(pid)) continue;
    if (pid === process.pid) continue;
    await unlink(join(dir, name)).catch(() => undefined);
    removed.push(name);
  }
  return removed;
}
