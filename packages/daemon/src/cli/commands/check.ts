/**
 * `sixgate check`: validate the configuration and the host (TUN, NET_ADMIN,
 * forwarding, free ports, route overlaps); one line per finding, exit 0/1.
 */
import type { Command } from 'commander';
import { loadConfig } from '@sixgate/config';
import { checkEnvironment } from '../../check.js';
import { addConfigOptions, failConfig, flagsOf } from './run.js';

export function register(program: Command): void {
  addConfigOptions(program.command('check').description('validate config and environment (TUN, NET_ADMIN, forwarding, ports, routes); exit 0/1')).action(async (o: Record<string, unknown>) => {
    let loaded;
    try {
      loaded = await loadConfig({ file: o['config'] as string | undefined, env: process.env, flags: flagsOf(o) });
    } catch (e) {
      failConfig(e);
    }
    const json = Boolean((program.opts() as { json?: boolean }).json);
    const findings = [{ ok: true, what: `config ${loaded.file}`, detail: loaded.created ? 'created with defaults' : 'valid' }, ...(await checkEnvironment(loaded.config))];
    if (json) process.stdout.write(`${JSON.stringify(findings, null, 2)}\n`);
    else for (const f of findings) process.stdout.write(`${f.ok ? 'ok  ' : 'FAIL'}  ${f.what}: ${f.detail}\n`);
    process.exitCode = findings.every((f) => f.ok) ? 0 : 1;
  });
}
