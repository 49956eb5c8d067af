/**
 * Test harness for the API-client commands (used only by their *.test.ts):
 * a real admin API over a FakeAdminPorts, listening on 127.0.0.1 port 0, and
 * a fresh commander program per run with the root options of main.ts,
 * exitOverride and captured output.
 */
import { Command, CommanderError } from 'commander';
import { buildAdminApi, FakeAdminPorts } from '@sixgate/admin-api';

export const HARNESS_TOKEN = 'cli-test-token-0123456789';

export interface CliRun {
  /** Exit code: 0, or the CommanderError's. */
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export interface CliHarness {
  readonly url: string;
  readonly ports: FakeAdminPorts;
  readonly app: ReturnType<typeof buildAdminApi>;
  /** Runs `sixgate --api URL --token TOKEN <args>` (set `auth: false` to omit both). */
  run(args: string[], options?: { auth?: boolean }): Promise<CliRun>;
  close(): Promise<void>;
}

/** A root program like main.ts builds, with `registers` applied. */
export function testProgram(registers: readonly ((p: Command) => void)[], sink: { out: string; err: string }): Command {
  const program = new Command('sixgate')
    .exitOverride()
    .configureOutput({ writeOut: (s) => (sink.out += s), writeErr: (s) => (sink.err += s) })
    .option('--api <url>', 'admin API base URL')
    .option('--token <token>', 'admin API bearer token')
    .option('--json', 'print raw JSON');
  for (const register of registers) register(program);
  return program;
}

/** Runs a program built by {@link testProgram} on user-style args. */
export async function runProgram(registers: readonly ((p: Command) => void)[], args: string[]): Promise<CliRun> {
  const sink = { out: '', err: '' };
  let code = 0;
  try {
    await testProgram(registers, sink).parseAsync(args, { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    code = err.exitCode;
  }
  return { code, ...sink };
}

export async function startCliHarness(registers: readonly ((p: Command) => void)[]): Promise<CliHarness> {
  const ports = new FakeAdminPorts();
  const app = buildAdminApi({ ports, token: HARNESS_TOKEN });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the test API is not on a TCP port');
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    ports,
    app,
    run: (args, options = {}) => runProgram(registers, options.auth === false ? args : ['--api', url, '--token', HARNESS_TOKEN, ...args]),
    close: () => app.close(),
  };
}
