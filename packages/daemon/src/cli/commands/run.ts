/**
 * `sixgate run`: start the appliance in the foreground (SPEC §3). Logs JSON
 * lines to stdout, ends with one `ready` line; SIGTERM/SIGINT stop it cleanly
 * (sessions snapshotted, routes and TUN device removed) within 5 s.
 */
import type { Command } from 'commander';
import { ConfigError, loadConfig, type ConfigFlags } from '@sixgate/config';
import { parseNat64Prefix } from '@sixgate/addressing';
import { pino } from 'pino';
import { Appliance } from '../../appliance.js';
import { appliancePorts } from '../../ports.js';

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

/** The options `run` and `check` share (SPEC §3 table). */
export function addConfigOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'config file, YAML or JSON (env SIXGATE_CONFIG; run creates it with defaults if absent, check never writes)')
    .option('--prefix <cidr>', 'NAT64 prefix for DNS64 and the translator (env SIXGATE_PREFIX)')
    .option('--pool4 <cidr>', 'IPv4 pool, repeatable (env SIXGATE_POOL4, comma list)', collect)
    .option('--upstream <addr[:port]>', 'upstream resolver, repeatable (env SIXGATE_UPSTREAMS)', collect)
    .option('--dns-listen <addr:port>', 'DNS64 listen address, repeatable; [v6]:port (env SIXGATE_DNS_LISTEN)', collect)
    .option('--dns-clients <cidr>', 'client prefix allowed to query, repeatable (env SIXGATE_DNS_CLIENTS)', collect)
    .option('--tun <name>', 'TUN device name (env SIXGATE_TUN)')
    .option('--api-listen <addr:port>', 'admin API listen address (env SIXGATE_API_LISTEN)')
    .option('--api-token <token>', 'admin API bearer token (env SIXGATE_API_TOKEN)')
    .option('--state-dir <dir>', 'state directory (env SIXGATE_STATE_DIR)')
    .option('--no-routes', 'leave routing of the prefix and pool4 to the operator (env SIXGATE_NO_ROUTES=1)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace (env SIXGATE_LOG_LEVEL)');
}

/** Commander's options → the config loader's flags (undefined = not given). */
export function flagsOf(o: Record<string, unknown>): ConfigFlags {
  return {
    prefix: o['prefix'] as string | undefined,
    pool4: o['pool4'] as string[] | undefined,
    upstream: o['upstream'] as string[] | undefined,
    dnsListen: o['dnsListen'] as string[] | undefined,
    dnsClients: o['dnsClients'] as string[] | undefined,
    tun: o['tun'] as string | undefined,
    apiListen: o['apiListen'] as string | undefined,
    apiToken: o['apiToken'] as string | undefined,
    stateDir: o['stateDir'] as string | undefined,
    noRoutes: o['routes'] === false ? true : undefined,
    logLevel: o['logLevel'] as string | undefined,
  };
}

/** Prints a configuration error as one line per problem and exits 1. */
export function failConfig(e: unknown): never {
  if (e instanceof ConfigError) {
    for (const line of e.issues) process.stderr.write(`sixgate: ${line}\n`);
  } else {
    process.stderr.write(`sixgate: ${(e as Error).message}\n`);
  }
  process.exit(1);
}

export function register(program: Command): void {
  addConfigOptions(program.command('run').description('start the appliance in the foreground (JSON logs on stdout)')).action(async (o: Record<string, unknown>) => {
    let loaded;
    try {
      loaded = await loadConfig({ file: o['config'] as string | undefined, env: process.env, flags: flagsOf(o), create: true });
    } catch (e) {
      failConfig(e);
    }
    const log = pino({ level: loaded.config.log.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
    if (loaded.created) log.info({ file: loaded.file }, 'config file created with defaults');
    const app = new Appliance({ loaded, log });
    let stopping = false;
    const shutdown = (signal: string, restart = false): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      const guard = setTimeout(() => {
        log.error('shutdown took longer than 4.5 s; exiting');
        process.exit(1);
      }, 4500);
      app.stop({ restart }).then(
        () => {
          clearTimeout(guard);
          log.info('stopped');
          log.flush?.();
          process.exit(0);
        },
        (e: unknown) => {
          log.error({ err: (e as Error).message }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    // A stop before a restart: router advertisements are not withdrawn (docs/ipv6-mostly.md).
    process.on('SIGUSR2', () => shutdown('SIGUSR2', true));
    try {
      await app.start(appliancePorts);
    } catch (e) {
      const err = e as Error & { code?: string };
      log.fatal({ code: err.code, err: err.message }, 'start failed');
      process.stderr.write(`sixgate: ${err.message}\n`);
      process.exit(1);
    }
    const cfg = app.config;
    log.info(
      { prefix: parseNat64Prefix(cfg.prefix).text, pool4: cfg.nat64.pool4, tun: app.tun.name(), dns: app.dns.addresses(), api: cfg.api.listen, pinned: Object.keys(app.pinned) },
      'ready',
    );
  });
}
