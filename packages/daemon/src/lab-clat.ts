/**
 * `sixgate lab clat` (internal; `lab up` starts it in the client namespace):
 * the lab client's CLAT supervisor. It listens for router advertisements on
 * the client link (after one Router Solicitation for a quick first answer),
 * takes the PREF64 they carry (RFC 8781) and (re)starts TAYGA with it, so a
 * `sixgate prefix set` in the gateway reaches the CLAT through the RA alone.
 * Lives in daemon because it needs both ra (the socket, the parser) and lab.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { formatIpv6 } from '@sixgate/addressing';
import { chosenPref64, LAB_FILES, taygaConf } from '@sixgate/lab';
import { buildRouterSolicit, isLinkLocal, osInterfaceAddresses, parseRouterAdvert, RaSocket } from '@sixgate/ra';

const ALL_ROUTERS = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2);

export async function runLabClat(ifname = 'lab0', log: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<void> {
  const sock = RaSocket.open(ifname);
  let current: string | undefined;
  let tayga: ChildProcess | undefined;
  let chain: Promise<void> = Promise.resolve();

  const stopTayga = async (): Promise<void> => {
    const t = tayga;
    tayga = undefined;
    if (!t || t.exitCode !== null || t.signalCode !== null) return;
    const gone = new Promise<void>((r) => t.once('exit', () => r()));
    t.kill('SIGTERM');
    // The TUN device takes one owner: the new TAYGA may only open it once the old one is gone.
    await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
  };

  const use = (prefix: string, router: string): void => {
    if (prefix === current) return;
    current = prefix;
    chain = chain.then(async () => {
      await stopTayga();
      writeFileSync(LAB_FILES.taygaConf, taygaConf(prefix));
      const child = spawn('tayga', ['-n', '-c', LAB_FILES.taygaConf], { stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('exit', (code, sig) => {
        if (tayga === child) log(`clat: tayga exited (${code ?? sig}); waiting for the next router advertisement`);
        if (tayga === child) current = undefined;
      });
      tayga = child;
      log(`clat: tayga running with prefix ${prefix} (PREF64 from router ${router})`);
    });
  };

  sock.listen(
    (m) => {
      const r = parseRouterAdvert(m.bytes, m.length, { source: m.source, hopLimit: m.hopLimit });
      if (!r.ok) return;
      const prefix = chosenPref64(r.message.pref64.map((p) => ({ prefix: `${formatIpv6(p.prefix)}/${p.length}`, lifetime: p.lifetime })));
      if (prefix) use(prefix, formatIpv6(m.source));
    },
    (e) => log(`clat: socket error ${e.message}`),
  );
  log(`clat: listening for router advertisements on ${ifname}`);
  sock.send(buildRouterSolicit(), ALL_ROUTERS, osInterfaceAddresses(ifname).find(isLinkLocal) ?? null);

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      sock.close();
      void chain.then(stopTayga).then(resolve, resolve);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
