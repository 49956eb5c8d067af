/**
 * Session snapshot across restarts (SPEC §3): on SIGTERM the BIB and session
 * tables go to `<stateDir>/sessions.json` with their remaining lifetimes; the
 * next start restores them when the prefix and pool4 are the same, so an
 * upgraded container keeps its clients' TCP connections.
 */
import { readFile, unlink, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { removeStaleTempFiles, resolveWriteTarget, writeFileAtomic } from '@sixgate/config';

const FILE = 'sessions.json';

interface SnapshotFile {
  readonly format: 'sixgate-sessions';
  readonly savedAt: string;
  readonly prefix: string;
  readonly pool4: readonly string[];
  readonly state: unknown;
}

/** Writes the snapshot through the one atomic writer (temp + fsync + rename + directory fsync). */
export async function saveSnapshot(stateDir: string, prefix: string, pool4: readonly string[], state: unknown): Promise<string> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const path = join(stateDir, FILE);
  const body: SnapshotFile = { format: 'sixgate-sessions', savedAt: new Date().toISOString(), prefix, pool4, state };
  await writeFileAtomic(path, JSON.stringify(body), { mode: 0o600 });
  return path;
}

/**
 * Reads and removes the snapshot. Returns the state part when it was taken
 * with the same prefix and pool4, otherwise why not.
 */
export async function takeSnapshot(stateDir: string, prefix: string, pool4: readonly string[]): Promise<{ state?: unknown; skipped?: string }> {
  const path = join(stateDir, FILE);
  await removeStaleTempFiles(path); // a writer killed mid-snapshot left its temp file
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return { skipped: 'no snapshot' };
  }
  // Taken once: remove the file itself (a symlinked sessions.json keeps its link for the next save).
  await unlink(await resolveWriteTarget(path).catch(() => path)).catch(() => undefined);
  let snap: SnapshotFile;
  try {
    snap = JSON.parse(text) as SnapshotFile;
  } catch {
    return { skipped: 'snapshot is corrupt' };
  }
  if (snap.format !== 'sixgate-sessions') return { skipped: 'not a session snapshot' };
  if (snap.prefix !== prefix) return { skipped: `snapshot was taken with prefix ${snap.prefix}` };
  if (JSON.stringify(snap.pool4) !== JSON.stringify(pool4)) return { skipped: 'snapshot was taken with another pool4' };
  return { state: snap.state };
}
