/**
 * The one writer for every file sixgate owns (config, API token, session
 * snapshot, config history): crash-safe replacement. Write a temp file in the
 * target's directory, fsync it, rename it over the target, fsync the
 * directory. A crash at any point leaves either the old file or the new one,
 * never a mix; a leftover temp file has a name no loader reads
 * (`.<name>.tmp-<pid>-<random>`) and `removeStaleTempFiles` clears it.
 *
 * A replaced file keeps what the operator gave it: a symlink stays a symlink
 * (the link's final target is written, in the target's directory), and the
 * target keeps its owner, group and mode. Only a new file takes `mode`.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readdir, readlink, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError } from './errors.js';

/** Options of `writeFileAtomic`. */
export interface AtomicWriteOptions {
  /** File mode for a new file (default 0644); an existing file keeps its own. */
  readonly mode?: number;
  /** Test seam: called after the temp file is durable and before the rename; may throw. */
  readonly beforeRename?: (tmp: string) => void | Promise<void>;
}

/** Symlinks followed before giving up (Linux's own limit, MAXSYMLINKS). */
const MAX_LINKS = 40;

/**
 * The file a write to `file` must replace: `file` itself, or the final target
 * of the symlink(s) it names — also when that target does not exist yet (a
 * dangling link is honoured: the target is created, the link kept).
 */
export async function resolveWriteTarget(file: string): Promise<string> {
  let path = resolve(file);
  for (let i = 0; i < MAX_LINKS; i++) {
    let info;
    try {
      info = await lstat(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return path;
      throw err;
    }
    if (!info.isSymbolicLink()) return path;
    path = resolve(dirname(path), await readlink(path));
  }
  throw Object.assign(new Error(`more than ${MAX_LINKS} symbolic links`), { code: 'ELOOP' });
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

/**
 * Atomically replaces `file` with `data`, creating the directory if needed.
 * Throws ConfigError ERR_CONFIG_IO (naming the file) when it cannot; the old
 * file is then untouched and no temp file is left.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  let tmp: string | undefined;
  try {
    const target = await resolveWriteTarget(file);
    const dir = dirname(target);
    await mkdir(dir, { recursive: true });
    const old = await stat(target).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (old !== undefined && !old.isFile()) throw new Error('not a regular file');
    tmp = join(dir, `${tempPrefix(target)}${process.pid}-${randomBytes(6).toString('hex')}`);
    const handle = await open(tmp, 'wx', 0o600);
    try {
      if (old !== undefined) {
        const mine = await handle.stat();
        // Owner first: chown clears set-id bits, the chmod after it restores the exact mode.
        if (mine.uid !== old.uid || mine.gid !== old.gid) {
          await handle.chown(old.uid, old.gid).catch((err: Error) => {
            throw new Error(`cannot keep its owner ${old.uid}:${old.gid} (${err.message}); left as it was`);
          });
        }
        await handle.chmod(old.mode & 0o7777);
      } else {
        await handle.chmod(options.mode ?? 0o644); // exact mode, whatever the umask
      }
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await options.beforeRename?.(tmp);
    await rename(tmp, target);
    tmp = undefined;
    await fsyncDir(dir);
  } catch (err) {
    if (tmp !== undefined) await unlink(tmp).catch(() => undefined);
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
  const target = await resolveWriteTarget(file).catch(() => file);
  const dir = dirname(target);
  const prefix = tempPrefix(target);
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
