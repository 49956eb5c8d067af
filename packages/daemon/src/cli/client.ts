/**
 * The shared half of the API-client commands (STYLE §7): resolve where the
 * admin API is and which token to send, make one HTTP request with global
 * fetch, turn failures into one clear line and a non-zero exit, and print
 * tables. No domain logic: what a command means is decided by the API.
 *
 * Global options (defined on the root program by main.ts): `--api <url>`
 * (SIXGATE_API_URL, default http://127.0.0.1:8064), `--token <token>`
 * (SIXGATE_API_TOKEN, else the file <stateDir>/api-token with stateDir from
 * SIXGATE_STATE_DIR or /var/lib/sixgate), `--json`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';

export const DEFAULT_API_URL = 'http://127.0.0.1:8064';
export const DEFAULT_STATE_DIR = '/var/lib/sixgate';
/** Longest wait for an ordinary request. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Where and how to reach the API, resolved from options, environment and the token file. */
export interface ApiTarget {
  readonly api: string;
  readonly token: string | undefined;
  readonly json: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads `<stateDir>/api-token`; undefined when absent or unreadable. */
function tokenFile(env: Env): string | undefined {
  try {
    const text = readFileSync(join(env['SIXGATE_STATE_DIR'] ?? DEFAULT_STATE_DIR, 'api-token'), 'utf8').trim();
    return text.length > 0 ? text : undefined;
  } catch {
    return undefined;
  }
}

/** The target of `cmd`, from its global options (`optsWithGlobals`) and `env`. */
export function apiTarget(cmd: Command, env: Env = process.env): ApiTarget {
  const o = cmd.optsWithGlobals<{ api?: string; token?: string; json?: boolean }>();
  const api = (o.api ?? env['SIXGATE_API_URL'] ?? DEFAULT_API_URL).replace(/\/+$/, '');
  return { api, token: o.token ?? env['SIXGATE_API_TOKEN'] ?? tokenFile(env), json: o.json === true };
}

/** Writes to the command's standard output (replaceable in tests via configureOutput). */
export function print(cmd: Command, text: string): void {
  const write = cmd.configureOutput().writeOut ?? ((s: string) => process.stdout.write(s));
  write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Prints `value` as indented JSON (the `--json` output). */
export function printJson(cmd: Command, value: unknown): void {
  print(cmd, JSON.stringify(value, null, 2));
}

/** Reports one line on stderr and exits non-zero (throws CommanderError under exitOverride). */
export function fail(cmd: Command, message: string): never {
  // A failed request is not a usage error: no help text after it, even with showHelpAfterError.
  cmd.showHelpAfterError(false);
  return cmd.error(`sixgate: ${message}`, { exitCode: 1, code: 'sixgate.api' });
}

export interface RequestOptions {
  readonly body?: unknown;
  /** Statuses (besides 2xx) whose body is a normal answer, e.g. 503 for health. */
  readonly accept?: readonly number[];
  readonly timeoutMs?: number;
}

/** The error body of the API, or a line made from the status when it is not one. */
async function errorMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  let message = `HTTP ${res.status} ${res.statusText}`.trim();
  try {
    const body = JSON.parse(text) as { message?: unknown };
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // not JSON: keep the status line
  }
  if (res.status === 401) message += ' (pass --token, set SIXGATE_API_TOKEN, or run as a user that can read <stateDir>/api-token)';
  return message;
}

/** Sends one request; returns the response, or fails the command with the API's message. */
export async function send(cmd: Command, method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
  const t = apiTarget(cmd);
  if (!/^https?:\/\/[^/]+$/.test(t.api)) return fail(cmd, `--api "${t.api}" is not a base URL like http://127.0.0.1:8064`);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (t.token !== undefined) headers['authorization'] = `Bearer ${t.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${t.api}${path}`, {
      method,
      headers,
      ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
      signal: AbortSignal.timeout(opts.timeoutMs ?? REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    const e = err as Error & { cause?: { message?: string; code?: string } };
    const why = e.name === 'TimeoutError' ? 'no answer in time' : (e.cause?.message ?? e.message);
    return fail(cmd, `cannot reach the admin API at ${t.api}: ${why}`);
  }
  if (!res.ok && !(opts.accept ?? []).includes(res.status)) return fail(cmd, await errorMessage(res));
  return res;
}

/** Sends one request and returns its JSON body (undefined for 204). */
export async function request<T>(cmd: Command, method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await send(cmd, method, path, opts);
  if (res.status === 204) return undefined as T;
  try {
    return (await res.json()) as T;
  } catch {
    return fail(cmd, `the admin API at ${apiTarget(cmd).api} sent a response that is not JSON (HTTP ${res.status})`);
  }
}

/** A query string from the defined values only (leading "?" when non-empty). */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s.length > 0 ? `?${s}` : '';
}

/** One table column: a header and how to show a row's cell. */
export type Column<T> = readonly [header: string, cell: (row: T) => string | number | boolean | undefined];

/** Rows as a left-aligned text table; "(none)" when empty. */
export function table<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((r) => columns.map(([, cell]) => String(cell(r) ?? '-')));
  const widths = columns.map(([h], i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string => c.map((s, i) => (i === c.length - 1 ? s : s.padEnd(widths[i]!))).join('  ');
  return [line(columns.map(([h]) => h)), ...cells.map(line)].join('\n');
}

/** Parses a non-negative integer option or argument (commander argParser). */
export function integer(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError(`"${value}" is not a non-negative integer.`);
  return Number(value);
}

/** `key  value` lines with the values aligned. */
export function keyValues(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
