#!/usr/bin/env node
// Quick TCP check through sixgate only (development aid for the offload path):
// builds the three-namespace topology, runs iperf3 ×1 and ×4 both directions,
// prints Gbit/s and the translator's CPU. Usage: node test/bench/tcp-quick.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADDR, buildTopology, requireRoot, waitFor } from './lib/netns.mjs';
import { startSixgate, startTayga } from './lib/translators.mjs';
import { IPERF_PORT, tcpRun } from './lib/measure.mjs';

requireRoot();
const which = process.argv[2] ?? 'sixgate';
const topo = buildTopology('tq', -20);
const dir = mkdtempSync(join(tmpdir(), 'sixgate-tq-'));
let t;
try {
  t = which === 'tayga' ? await startTayga(topo, dir) : await startSixgate(topo, dir);
  topo.net.spawn(topo.server, 'iperf3', ['-s', '-B', ADDR.server4, '-p', String(IPERF_PORT)]);
  await waitFor(() => topo.net.exec(topo.server, 'ss', ['-lnt'], { allowFail: true }).stdout.includes(`:${IPERF_PORT} `), 5000, 'iperf3 server');
  for (const [n, reverse] of [[1, false], [4, false], [1, true], [4, true]]) {
    const r = await tcpRun(t, n, Number(process.env.TQ_S ?? 4), { reverse });
    console.log(`${t.name} TCP ×${n}${reverse ? ' 4→6' : ' 6→4'}: ${r.gbps.toFixed(2)} Gbit/s, ${r.retransmits} retransmits, CPU ${r.cpuPercent.toFixed(0)} %`);
  }
  if (t.loopStats) {
    const r = topo.net.exec(topo.appliance, 'curl', ['-sf', '-H', 'Authorization: Bearer bench-token-0123456789abcdef', 'http://127.0.0.1:8064/api/v1/stats'], { allowFail: true });
    console.log(r.stdout.slice(0, 3000));
  }
} finally {
  await t?.stop?.();
  await topo.net.destroy();
  rmSync(dir, { recursive: true, force: true });
}
