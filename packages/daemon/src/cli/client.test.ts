import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Command } from 'commander';
import { apiTarget, integer, keyValues, query, request, table } from './client.js';
import { runProgram, testProgram } from './client-harness.js';

/** A program with one command that reports apiTarget() as JSON. */
const probe = (p: Command): void => {
  p.command('probe').action((_o: unknown, cmd: Command) => {
    cmd.configureOutput().writeOut!(JSON.stringify(apiTarget(cmd)));
  });
};

describe('apiTarget', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sixgate-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  const target = async (args: string[]) => JSON.parse((await runProgram([probe], [...args, 'probe'])).out) as Record<string, unknown>;

  it('defaults to loopback port 8064 and the token file in the state dir', async () => {
    vi.stubEnv('SIXGATE_API_URL', undefined);
    vi.stubEnv('SIXGATE_API_TOKEN', undefined);
    vi.stubEnv('SIXGATE_STATE_DIR', dir);
    writeFileSync(join(dir, 'api-token'), 'token-from-file\n');
    expect(await target([])).toEqual({ api: 'http://127.0.0.1:8064', token: 'token-from-file', json: false });
  });

  it('environment beats the token file, options beat the environment', async () => {
    vi.stubEnv('SIXGATE_STATE_DIR', dir);
    writeFileSync(join(dir, 'api-token'), 'token-from-file');
    vi.stubEnv('SIXGATE_API_URL', 'http://[::1]:9000/');
    vi.stubEnv('SIXGATE_API_TOKEN', 'token-from-env');
    expect(await target([])).toEqual({ api: 'http://[::1]:9000', token: 'token-from-env', json: false });
    expect(await target(['--api', 'http://127.0.0.2:1', '--token', 'flag', '--json'])).toEqual({ api: 'http://127.0.0.2:1', token: 'flag', json: true });
  });

  it('no token at all when the file is missing', async () => {
    vi.stubEnv('SIXGATE_API_TOKEN', undefined);
    vi.stubEnv('SIXGATE_STATE_DIR', join(dir, 'nowhere'));
    expect((await target([]))['token']).toBeUndefined();
  });
});

describe('request failures', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/text') res.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway');
      else if (req.url === '/notjson') res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
      else res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ statusCode: 401, error: 'Unauthorized', message: 'wrong bearer token' }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const get = (path: string) => (p: Command): void => {
    p.command('get').action(async (_o: unknown, cmd: Command) => {
      await request(cmd, 'GET', path);
    });
  };

  it('an unreachable API is one clear line and exit code 1', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const run = await runProgram([get('/x')], ['--api', `http://127.0.0.1:${port}`, 'get']);
    expect(run.code).toBe(1);
    expect(run.err).toBe(`sixgate: cannot reach the admin API at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`);
  });

  it.each(['127.0.0.1:8064', 'ftp://127.0.0.1', 'http://127.0.0.1:8064/api/v1'])('a malformed --api "%s" is refused before any request', async (api) => {
    const run = await runProgram([get('/x')], ['--api', api, 'get']);
    expect(run.code).toBe(1);
    expect(run.err).toBe(`sixgate: --api "${api}" is not a base URL like http://127.0.0.1:8064\n`);
  });

  it('401 carries the API message and a hint about the token', async () => {
    const run = await runProgram([get('/x')], ['--api', url, 'get']);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^sixgate: wrong bearer token \(pass --token, set SIXGATE_API_TOKEN/);
  });

  it('a non-JSON error is reported by its status', async () => {
    const run = await runProgram([get('/text')], ['--api', url, 'get']);
    expect(run.err).toBe('sixgate: HTTP 502 Bad Gateway\n');
  });

  it('a non-JSON success is an error too', async () => {
    const run = await runProgram([get('/notjson')], ['--api', url, 'get']);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/sent a response that is not JSON \(HTTP 200\)/);
  });
});

describe('helpers', () => {
  it('table pads every column but the last and shows (none) when empty', () => {
    const t = table<{ a: string; b: number }>([['NAME', (r) => r.a], ['N', (r) => r.b]], [{ a: 'x', b: 1 }, { a: 'longer', b: 22 }]);
    expect(t).toBe('NAME    N\nx       1\nlonger  22');
    expect(table([['A', () => 1]], [])).toBe('(none)');
  });

  it('keyValues aligns values', () => {
    expect(keyValues([['a', '1'], ['long', '2']])).toBe('a     1\nlong  2');
  });

  it('query keeps defined values only and encodes them', () => {
    expect(query({ a: undefined, client: '2001:db8::/64', n: 5 })).toBe('?client=2001%3Adb8%3A%3A%2F64&n=5');
    expect(query({})).toBe('');
  });

  it('integer accepts digits only', () => {
    expect(integer('42')).toBe(42);
    for (const bad of ['-1', '1.5', 'ten', '', '9999999999']) expect(() => integer(bad)).toThrow(/not a non-negative integer/);
  });

  it('a bad integer option is a usage error, not a crash', async () => {
    const p = (prog: Command): void => {
      prog.command('n').option('--limit <n>', 'n', integer).action(() => undefined);
    };
    const run = await runProgram([p], ['n', '--limit', 'ten']);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/option '--limit <n>' argument 'ten' is invalid\. "ten" is not a non-negative integer/);
  });

  it('testProgram captures output', () => {
    const sink = { out: '', err: '' };
    testProgram([], sink).configureOutput().writeOut!('x');
    expect(sink.out).toBe('x');
  });
});

describe('fail', () => {
  it('prints no help after a runtime error even when the program shows help after errors', async () => {
    const p = (prog: Command): void => {
      prog.showHelpAfterError();
      prog.command('go').action(async (_o: unknown, cmd: Command) => {
        await request(cmd, 'GET', '/x');
      });
    };
    const run = await runProgram([p], ['--api', 'http://127.0.0.1:1', 'go']);
    expect(run.code).toBe(1);
    // Port 1 is on fetch's blocked list ("bad port"): still one line, and no usage text after it.
    expect(run.err).toMatch(/^sixgate: cannot reach the admin API at http:\/\/127\.0\.0\.1:1: [^\n]+\n$/);
  });
});
