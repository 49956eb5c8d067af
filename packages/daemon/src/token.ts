/**
 * The admin API token: given by flag/env/config, or generated once and kept
 * in `<stateDir>/api-token` (mode 0600) so the CLI on the same host finds it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { removeStaleTempFiles, writeFileAtomic } from '@sixgate/config';

/** Where the generated token lives. */
export function tokenPath(stateDir: string): string {
  return join(stateDir, 'api-token');
}

/** Returns the configured token, or the saved one, or a new saved one. */
export async function ensureToken(stateDir: string, configured: string | undefined): Promise<{ token: string; path?: string; generated: boolean }> {
  if (configured) return { token: configured, generated: false };
  const path = tokenPath(stateDir);
  await removeStaleTempFiles(path);
  const existing = (await readFile(path, 'utf8').catch(() => '')).trim();
  if (existing.length >= 16) return { token: existing, path, generated: false };
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(24).toString('base64url');
  // The one writer (temp + fsync + rename + directory fsync): a crash never leaves a torn token.
  await writeFileAtomic(path, `${token}\n`, { mode: 0o600 });
  return { token, path, generated: true };
}
