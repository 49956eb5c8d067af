/**
 * `sixgate lab up|down|status`: a DNS64 + NAT64 demo in three network
 * namespaces on this machine (root), a thin wrapper over @sixgate/lab that
 * prints and sets the exit code. `lab serve` is internal: the lab server
 * that `up` starts inside the IPv4-only server namespace.
 */
import type { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { runLabClat } from '../../lab-clat.js';
import { HA_LAB, LAB, LAB_FILES, LAB_RECORDS, LabError, formatStatus, haTryCommands, labDown, labRestartNode, labStatus, labUp, labUpHa, startLabServer, tryCommands, type LabCli } from '@sixgate/lab';

/** This same binary: node + bin/sixgate.js (falls back to the package's bin when argv has no script). */
function thisCli(): LabCli {
  const script = process.argv[1] ?? fileURLToPath(new URL('../../../bin/sixgate.js', import.meta.url));
  return { node: process.execPath, script };
}

const fail = (e: unknown): never => {
  process.stderr.write(`sixgate lab: ${e instanceof LabError ? e.message : (e as Error).message}\n`);
  process.exit(1);
};

async function up(opts: { ha?: boolean }): Promise<void> {
  const cli = thisCli();
  const started = Date.now();
  try {
    await (opts.ha === true ? labUpHa(cli) : labUp(cli));
  } catch (e) {
    fail(e);
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (opts.ha === true) {
    const [r1, r2] = HA_LAB.nodes;
    process.stdout.write(
      [
        `sixgate lab is up as an HA pair (${secs} s): ${HA_LAB.ns.client} (IPv6 only) -> LAN bridge -> ${r1!.ns} (active) + ${r2!.ns} (standby), sixgate + keepalived each -> uplink bridge -> ${HA_LAB.ns.router} (pool4 ${LAB.pool4} via ${HA_LAB.vip4}) -> ${LAB.ns.server} (IPv4 only, ${LAB.server4})`,
        '',
        'Watch, pull the plug, bring it back:',
        ...haTryCommands(cli.script).map((l) => `  ${l}`),
        '',
      ].join('\n'),
    );
    return;
  }
  const out = [
    `sixgate lab is up (${secs} s): ${LAB.ns.client} (IPv6 only, CLAT) -> ${LAB.ns.gateway} (sixgate, prefix ${LAB.prefix} in ${LAB_FILES.stateDir}/sixgate.yaml, announced in RAs) -> ${LAB.ns.server} (IPv4 only, ${LAB.server4})`,
    '',
    'Try:',
    ...tryCommands(cli.script).map((l) => `  ${l}`),
    '',
  ];
  process.stdout.write(out.join('\n'));
}

async function down(): Promise<void> {
  try {
    const removed = await labDown();
    process.stdout.write(removed.length === 0 ? 'sixgate lab: nothing to remove\n' : `sixgate lab: removed ${removed.join('; ')}\n`);
  } catch (e) {
    fail(e);
  }
}

async function status(json: boolean): Promise<void> {
  const s = await labStatus(process.execPath);
  process.stdout.write(json ? `${JSON.stringify(s, null, 2)}\n` : `${formatStatus(s).join('\n')}\n`);
  // 0 up, 3 down (as `systemctl status` for an inactive unit), 1 anything between.
  process.exitCode = s.state === 'up' ? 0 : s.state === 'down' ? 3 : 1;
}

/** Serves until SIGTERM/SIGINT: the action only returns then, because the CLI exits after an action. */
async function serve(): Promise<void> {
  const zone = { apex: LAB.zone, records: LAB_RECORDS, ttl: 300 };
  const srv = await startLabServer({ zone, host: '0.0.0.0', dnsPort: 53, httpPort: 80 });
  process.stdout.write(`lab server listening: dns ${srv.dnsPort}/udp+tcp, http ${srv.httpPort}, zone ${zone.apex}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => void srv.close().then(resolve, resolve);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

export function register(program: Command): void {
  const lab = program
    .command('lab')
    .description('DNS64 + NAT64 demo in three network namespaces on this machine (root); --ha: the HA pair in seven');
  lab
    .command('up')
    .description('build the namespaces, start sixgate in them, print commands to try')
    .option('--ha', 'the high-availability pair: two appliances with sixgate and keepalived (VRRP), a client LAN, an uplink and a router (needs keepalived)')
    .action(up);
  lab
    .command('restart <node>')
    .description('HA lab: bring node r1 or r2 back after its plug was pulled (it resyncs and stays standby)')
    .action(async (node: string) => {
      try {
        await labRestartNode(thisCli(), node);
        process.stdout.write(`sixgate lab: ${node} is back as the standby (synced); \`sixgate lab status\` shows the pair\n`);
      } catch (e) {
        fail(e);
      }
    });
  lab.command('down').description('stop the lab and remove its namespaces and files').action(down);
  lab
    .command('status')
    .description('show what of the lab exists and runs (exit 0 up, 3 down, 1 partly)')
    .action(async () => status(Boolean(program.opts()['json'])));
  lab.command('serve', { hidden: true }).description('the lab server (DNS zone + web page); `up` runs it').action(serve);
  lab.command('clat', { hidden: true }).description("the client's CLAT: TAYGA configured from the PREF64 in router advertisements; `up` runs it").action(() => runLabClat());
}
