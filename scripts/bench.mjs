#!/usr/bin/env node
// npm run bench: builds, then runs every benchmark in test/bench/ in turn
// (or only those whose names contain an argument: `npm run bench -- dns64`).
// Benchmarks print their own tables; targets live in docs/benchmarks.md, never
// in timed tests.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const only = process.argv.slice(2);
const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const dir = join(root, 'test', 'bench');
const files = readdirSync(dir).filter((f) => f.endsWith('.mjs') && !f.startsWith('_')).filter((f) => only.length === 0 || only.some((o) => f.includes(o))).sort();
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f} ===`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(dir, f)], { cwd: root, stdio: 'inherit', timeout: 15 * 60_000 });
  if (r.status !== 0) {
    failed++;
    console.log(`!!! ${f} exited with ${r.status ?? r.signal}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
