/**
 * `sixgate check`: validate the configuration and the host (TUN, NET_ADMIN,
 * forwarding, free ports, route overlaps); one line per finding, exit 0/1.
 * It builds what `run` builds from the config (translator, state, policy,
 * DNS64, TUN and API options) without starting anything. It never writes: an absent config file is reported, not created.
 */
import type { Command } from 'commander';
import { loadConfig, type LoadedConfig } from '@sixgate/config';
import { checkBuild, checkEnvironment, type Finding } from '../../check.js';
import { addConfigOptions, failConfig, flagsOf } from './run.js';

/**
 * The config file finding. An absent file named on purpose (--config or
 * SIXGATE_CONFIG) is most likely a typo: it fails. The default path absent is
 * a first start: fine, `run` will create it. Either way nothing is written.
 */
export function configFinding(loaded: LoadedConfig, named: boolean): Finding {
  const what = `config ${loaded.file}`;
  if (loaded.existed) return { ok: true, what, detail: 'valid' };
  return named
    ? { ok: false, what, detail: 'does not exist (a typo?): check writes nothing; `sixgate run` would create it with the defaults' }
    : { ok: true, what, detail: 'does not exist yet: `sixgate run` creates it with the defaults; checked as the defaults' };
}

export function register(program: Command): void {
  addConfigOptions(program.command('check').description('validate config (building what run builds, without I/O) and environment (TUN, NET_ADMIN, forwarding, ports, routes); never writes; exit 0/1')).action(async (o: Record<string, unknown>) => {
    let loaded;
    try {
      loaded = await loadConfig({ file: o['config'] as string | undefined, env: process.env, flags: flagsOf(o) });
    } catch (e) {
      failConfig(e);
    }
    const json = Boolean((program.opts() as { json?: boolean }).json);
    const findings = [
      configFinding(loaded, o['config'] !== undefined || Boolean(process.env['SIXGATE_CONFIG'])),
      ...checkBuild(loaded.config),
      ...(await checkEnvironment(loaded.config)),
    ];
    if (json) process.stdout.write(`${JSON.stringify(findings, null, 2)}\n`);
    else for (const f of findings) process.stdout.write(`${f.ok ? 'ok  ' : 'FAIL'}  ${f.what}: ${f.detail}\n`);
    process.exitCode = findings.every((f) => f.ok) ? 0 : 1;
  });
}
