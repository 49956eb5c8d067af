/**
 * The host side of the appliance: kernel routes into the TUN device, IP
 * forwarding, and capability checks. Everything goes through `ip` (iproute2)
 * and /proc/sys, which the container image ships; each call is rare (start,
 * stop, prefix change), so spawning a process is fine.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** A failure of the host environment, with a stable code. */
export class SystemError extends Error {
  override readonly name = 'SystemError';
  constructor(
    readonly code: 'ERR_ROUTE' | 'ERR_SYSCTL' | 'ERR_IP_COMMAND',
    message: string,
  ) {
    super(message);
  }
}

/** Runs `ip <args>`; throws SystemError with iproute2's own words. */
export async function ip(args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await execFileP('ip', args as string[], { timeout: 10_000 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string; code?: string };
    const why = err.code === 'ENOENT' ? 'the `ip` command (iproute2) is not installed' : (err.stderr ?? err.message).trim();
    throw new SystemError('ERR_IP_COMMAND', `ip ${args.join(' ')}: ${why}`);
  }
}

const familyOf = (cidr: string): '-4' | '-6' => (cidr.includes(':') ? '-6' : '-4');

/**
 * The routes sixgate owns: the NAT64 prefix and every pool4 range point into
 * the TUN device. `sync` moves the set to a new one (add first, then remove),
 * so a prefix change never leaves a moment without a route.
 */
export class KernelRoutes {
  private installed: string[] = [];

  constructor(private readonly dev: string) {}

  /** Routes currently installed by this instance. */
  current(): readonly string[] {
    return this.installed;
  }

  /** Makes exactly `cidrs` point into the device; returns the previous set. */
  async sync(cidrs: readonly string[]): Promise<string[]> {
    const before = this.installed;
    const added: string[] = [];
    try {
      for (const c of cidrs) {
        // `replace` also takes over a stale route left by a killed instance.
        await ip([familyOf(c), 'route', 'replace', c, 'dev', this.dev]);
        added.push(c);
      }
    } catch (e) {
      for (const c of added) if (!before.includes(c)) await ip([familyOf(c), 'route', 'del', c, 'dev', this.dev]).catch(() => undefined);
      throw e;
    }
    for (const c of before) {
      if (!cidrs.includes(c)) await ip([familyOf(c), 'route', 'del', c, 'dev', this.dev]).catch(() => undefined);
    }
    this.installed = [...cidrs];
    return before;
  }

  /** Removes every route this instance installed (errors ignored: the device may be gone). */
  async clear(): Promise<void> {
    for (const c of this.installed) await ip([familyOf(c), 'route', 'del', c, 'dev', this.dev]).catch(() => undefined);
    this.installed = [];
  }
}

/** Sets the transmit queue length (packets) of a link. */
export async function setTxQueueLength(dev: string, packets: number): Promise<void> {
  await ip(['link', 'set', 'dev', dev, 'txqueuelen', String(packets)]);
}

const SYSCTL = {
  ipv6: '/proc/sys/net/ipv6/conf/all/forwarding',
  ipv4: '/proc/sys/net/ipv4/ip_forward',
} as const;

/** Turns on IPv4 and IPv6 forwarding (a translator is a router). */
export async function enableForwarding(): Promise<void> {
  for (const path of Object.values(SYSCTL)) {
    try {
      if ((await readFile(path, 'utf8')).trim() !== '1') await writeFile(path, '1\n');
    } catch (e) {
      const hint = (e as NodeJS.ErrnoException).code === 'EROFS' ? ' — /proc/sys is read-only (a container): enable forwarding on the host with sysctl -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1' : '';
      throw new SystemError('ERR_SYSCTL', `cannot enable forwarding (${path}): ${(e as Error).message}${hint}`);
    }
  }
}

/** Whether forwarding is on for both families. */
export async function forwardingEnabled(): Promise<{ ipv4: boolean; ipv6: boolean }> {
  const read = async (p: string): Promise<boolean> => (await readFile(p, 'utf8').catch(() => '0')).trim() === '1';
  return { ipv4: await read(SYSCTL.ipv4), ipv6: await read(SYSCTL.ipv6) };
}

/** Whether this process has CAP_NET_ADMIN (bit 12 of CapEff). */
export async function hasNetAdmin(): Promise<boolean> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  if (!m) return false;
  return (BigInt(`0x${m[1]}`) & (1n << 12n)) !== 0n;
}

/** Kernel routes (both families) as `{dst, dev}`, for overlap checks. */
export async function listRoutes(): Promise<{ dst: string; dev: string }[]> {
  const out: { dst: string; dev: string }[] = [];
  for (const fam of ['-4', '-6']) {
    const json = await ip(['-j', fam, 'route', 'show']).catch(() => '[]');
    for (const r of JSON.parse(json || '[]') as { dst: string; dev?: string }[]) out.push({ dst: r.dst, dev: r.dev ?? '' });
  }
  return out;
}
