/**
 * The `sixgate` CLI: `run` and `check` drive the appliance on this host; the
 * other commands are thin clients of the admin API (one file each under
 * commands/, no domain logic).
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { register as registerRun } from './commands/run.js';
import { register as registerCheck } from './commands/check.js';

/** API-client and lab commands; each module exports `register(program)`. */
const CLIENT_COMMANDS = ['status', 'sessions', 'bib', 'prefix', 'policy', 'config', 'rollback', 'trace', 'lab'];

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return '0.0.0';
  }
}

/** Builds the program with every command registered. */
export async function buildProgram(): Promise<Command> {
  const program = new Command('sixgate')
    .description('DNS64 resolver and stateful NAT64 translator in one appliance')
    .version(version())
    .option('--api <url>', 'admin API base URL (env SIXGATE_API_URL)', process.env['SIXGATE_API_URL'] ?? 'http://127.0.0.1:8064')
    .option('--token <token>', 'admin API bearer token (env SIXGATE_API_TOKEN; default: <stateDir>/api-token)')
    .option('--json', 'print raw JSON instead of tables')
    .showHelpAfterError();
  registerRun(program);
  registerCheck(program);
  for (const name of CLIENT_COMMANDS) {
    try {
      const mod = (await import(`./commands/${name}.js`)) as { register?: (p: Command) => void };
      mod.register?.(program);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    }
  }
  return program;
}

/** Entry point of bin/sixgate.js. */
export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram();
  await program.parseAsync(argv);
}
