/**
 * The `sixgate` CLI: `run` and `check` drive the appliance on this host; the
 * other commands are thin clients of the admin API (one file each under
 * commands/, no domain logic).
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import * as run from './commands/run.js';
import * as check from './commands/check.js';
import * as status from './commands/status.js';
import * as sessions from './commands/sessions.js';
import * as bib from './commands/bib.js';
import * as prefix from './commands/prefix.js';
import * as policy from './commands/policy.js';
import * as config from './commands/config.js';
import * as rollback from './commands/rollback.js';
import * as trace from './commands/trace.js';
import * as lab from './commands/lab.js';
import * as ha from './commands/ha.js';
import * as probe from './commands/probe.js';

/** Every command module exports `register(program)`; this is the order `--help` lists them. */
const COMMANDS = [run, check, status, sessions, bib, prefix, policy, config, rollback, trace, probe, lab, ha];

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return '0.0.0';
  }
}

/** Builds the program with every command registered. */
export function buildProgram(): Command {
  const program = new Command('sixgate')
    .description('DNS64 resolver and stateful NAT64 translator in one appliance')
    .version(version())
    .option('--api <url>', 'admin API base URL (env SIXGATE_API_URL)', process.env['SIXGATE_API_URL'] ?? 'http://127.0.0.1:8064')
    .option('--token <token>', 'admin API bearer token (env SIXGATE_API_TOKEN; default: <stateDir>/api-token)')
    .option('--json', 'print raw JSON instead of tables')
    .showHelpAfterError();
  for (const c of COMMANDS) c.register(program);
  return program;
}

/**
 * Entry point of bin/sixgate.js. Resolves to true when the process must keep
 * running (`run`); API-client commands resolve false so the caller can exit at
 * once instead of waiting for fetch's idle keep-alive sockets to time out.
 */
export async function main(argv: string[]): Promise<boolean> {
  const program = buildProgram();
  let keepAlive = false;
  program.hook('postAction', (_root, action) => {
    keepAlive = action.name() === 'run';
  });
  await program.parseAsync(argv);
  return keepAlive;
}
