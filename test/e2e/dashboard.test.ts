// The dashboard in a real browser (Debian's chromium, headless, driven by
// playwright-core; no browser download) against the real daemon in the
// end-to-end topology with traffic flowing: log in, compare the overview with
// the API, see the charts drawn, block a flow with a rule added in the page,
// move the prefix and roll it back from the page (checked with dig and ip
// route), watch a ping in the live trace, no console errors or CSP
// violations, and no horizontal scrolling at phone width. Screenshots of each
// view go to test-artifacts/dashboard/ (gitignored).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDR, buildTopology, cleanEnv, requireRoot, type Topology } from './lib/netns.js';
import { api, cleanupDir, ensureBuilt, REPO, startServers, startSixgate, TOKEN, type ServerSide, type Sixgate } from './lib/appliance.js';

const CHROMIUM = '/usr/bin/chromium';
const OLD = '2001:db8:64::/96';
const NEW = '2001:db8:46::/96';
const TUN = 'sgdash';
const URL = 'http://127.0.0.1:8064';
const ARTIFACTS = join(REPO, 'test-artifacts', 'dashboard');
const host = (prefix: string) => `${prefix.split('::')[0]}::c633:6402`; // + 198.51.100.2

let topo: Topology | undefined;
let srv: ServerSide | undefined;
let sg: Sixgate | undefined;
let stateDir = '';
let browserDir = '';
let ctx: BrowserContext | undefined;
let page: Page;
/** Console errors, page errors and CSP violations after login. */
const problems: string[] = [];

const t = (): Topology => topo!;
const client = (cmd: string, args: string[]) => t().net.exec(t().client, cmd, args, { allowFail: true, timeoutMs: 20_000 });
const dig = (name: string) => client('dig', ['+short', '+time=2', '+tries=1', `@${ADDR.appliance6}`, 'AAAA', name]).stdout.trim();
const ping = (addr: string, n = 2) => client('ping', ['-6', '-c', String(n), '-i', '0.2', '-W', '2', addr]).stdout;
const routes = () => t().net.exec(t().appliance, 'ip', ['-6', 'route', 'show', 'dev', TUN]).stdout;
const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

async function view(name: string, ready: string): Promise<void> {
  // The same hash again fires no hashchange: reload to get the view drawn afresh.
  if (page.url() === `${URL}/#/${name}`) await page.reload();
  else await page.goto(`${URL}/#/${name}`);
  await page.waitForSelector(ready, { timeout: 15_000 });
}

beforeAll(async () => {
  requireRoot();
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (scripts/ensure-test-deps.mjs installs it as root)`);
  ensureBuilt();
  mkdirSync(ARTIFACTS, { recursive: true });
  topo = buildTopology('d');
  srv = await startServers(topo, { bigMiB: 1 });
  stateDir = mkdtempSync(join(tmpdir(), 'sg-e2e-dash-'));
  writeFileSync(join(stateDir, 'sixgate.yaml'), `prefix: ${OLD}
dns64:
  listen: ["[${ADDR.appliance6}]:53"]
  upstreams: ["${ADDR.server4}"]
  clients: ["2001:db8:1::/64"]
nat64:
  pool4: ["${ADDR.pool4}"]
`);
  sg = await startSixgate(topo, { SIXGATE_CONFIG: join(stateDir, 'sixgate.yaml'), SIXGATE_STATE_DIR: stateDir, SIXGATE_TUN: TUN, SIXGATE_API_TOKEN: TOKEN, SIXGATE_API_LISTEN: '127.0.0.1:8064' });
  // Traffic while the page looks: pings and DNS64 queries from the client, bounded in count and time.
  topo.net.spawn(topo.client, 'ping', ['-6', '-q', '-c', '900', '-i', '0.2', '-w', '200', host(OLD)]);
  topo.net.spawn(topo.client, 'sh', ['-c', `for i in $(seq 1 400); do dig +short +time=1 +tries=1 @${ADDR.appliance6} AAAA www.example.net >/dev/null; sleep 0.4; done`]);

  // The browser runs inside the appliance namespace, where the API listens on loopback:
  // a wrapper enters the namespace and execs the system chromium (the DevTools pipe, fds 3/4, is inherited).
  browserDir = mkdtempSync(join(tmpdir(), 'sg-e2e-chromium-'));
  const wrapper = join(browserDir, 'chromium-in-netns');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${topo.appliance} ${CHROMIUM} "$@"\n`);
  chmodSync(wrapper, 0o755);
  ctx = await chromium.launchPersistentContext(join(browserDir, 'profile'), {
    executablePath: wrapper,
    headless: true,
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
    // Hermetic: no proxy or other host variables reach the browser, and it never asks for a proxy.
    env: cleanEnv() as Record<string, string>,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-proxy-server'],
    timeout: 60_000,
  });
  await ctx.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  page = ctx.pages()[0] ?? (await ctx.newPage());
  page.setDefaultTimeout(15_000);
}, 240_000);

afterAll(async () => {
  await ctx?.close().catch(() => undefined);
  await sg?.stop().catch(() => undefined);
  await topo?.net.destroy();
  cleanupDir(srv?.dir);
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  if (browserDir) rmSync(browserDir, { recursive: true, force: true });
});

describe('the dashboard in a real browser', () => {
  it('serves the page under a strict CSP and refuses a wrong token', async () => {
    const res = await page.goto(`${URL}/`);
    expect(res!.status()).toBe(200);
    expect(res!.headers()['content-security-policy']).toMatch(/script-src 'self'/);
    await page.fill('#token', 'wrong-token-wrong-token');
    await page.click('form[data-testid=login] button[type=submit]');
    await page.getByText('That token was refused.').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('sixgate.token'))).toBeNull();
    await shot('login-refused');
  });

  it('logs in with the token, kept for the tab only, reachable by keyboard', async () => {
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.fill('#token', TOKEN);
    await page.press('#token', 'Enter');
    await page.waitForSelector('[data-testid=numbers]');
    expect(await page.evaluate(() => sessionStorage.getItem('sixgate.token'))).toBe(TOKEN);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(page.url()).not.toContain(TOKEN);
    // A fresh load (the token stays for the tab): the keyboard reaches the skip link, then the views.
    await page.reload();
    await page.waitForSelector('[data-testid=numbers]');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Overview');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=sessions-table]');
  });

  it('the overview shows the numbers the API answered at that moment', async () => {
    await view('overview', '[data-testid=numbers]');
    const answer = await page.waitForResponse((r) => r.url() === `${URL}/api/v1/stats`, { timeout: 15_000 });
    const stats = (await answer.json()) as { nat64: { sessions: Record<string, number>; bindings: number; packets: Record<string, number>; bytes: Record<string, number>; drops: Record<string, number>; pool4: { used: number } }; dns64: { queries: number } };
    const expected: Record<string, number> = {
      sessions: stats.nat64.sessions['total']!,
      bindings: stats.nat64.bindings,
      'pool4-used': stats.nat64.pool4.used,
      'packets-6to4': stats.nat64.packets['6to4']!,
      'packets-4to6': stats.nat64.packets['4to6']!,
      'bytes-6to4': stats.nat64.bytes['6to4']!,
      'bytes-4to6': stats.nat64.bytes['4to6']!,
      drops: Object.values(stats.nat64.drops).reduce((a, b) => a + b, 0),
      'dns-queries': stats.dns64.queries,
    };
    expect(expected['packets-6to4']).toBeGreaterThan(0); // traffic is flowing
    expect(expected['dns-queries']).toBeGreaterThan(0);
    const shown = async (): Promise<Record<string, number>> =>
      page.evaluate((names) => Object.fromEntries(names.map((n) => [n, Number(document.querySelector(`[data-metric="${n}"]`)?.getAttribute('data-value'))])), Object.keys(expected));
    await expect.poll(shown, { timeout: 4000 }).toEqual(expected);
    expect(await page.locator('[data-metric=prefix]').first().getAttribute('data-value')).toBe((api(t(), 'GET', '/api/v1/prefix').json as { prefix: string }).prefix);
    const pool = api(t(), 'GET', '/api/v1/pool4').json as { addressCount: number; icmp: { size: number } };
    expect(pool.addressCount).toBe(16);
    expect(await page.locator('[data-testid=pool4] caption').first().textContent()).toContain('16 addresses');
    await page.locator('[data-testid=pool4] summary').click(); // 16 addresses: the per-address table is folded
    expect(await page.locator('[data-testid=pool4] details tbody tr').count()).toBe(16);
    expect(await page.locator('[data-testid=health] .badge.ok').count()).toBe(2);
  });

  it('the charts draw their series from the metric history', async () => {
    // The daemon samples every 5 s; two samples make a rate.
    await expect.poll(() => (api(t(), 'GET', '/api/v1/stats/history').json as { t: number[] }).t.length, { timeout: 20_000, intervals: [1000] }).toBeGreaterThanOrEqual(3);
    await view('overview', '[data-testid=chart-packets] canvas');
    // Pixels in the colours of the series (charts.ts COLORS): a line was drawn, not only axes and grid.
    const inked = (id: string) =>
      page.evaluate((chart) => {
        const c = document.querySelector<HTMLCanvasElement>(`[data-testid=chart-${chart}] canvas`);
        if (!c) return -1;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        const colours = [[29, 78, 137], [209, 73, 91], [42, 157, 143], [233, 162, 59]];
        let n = 0;
        for (let i = 0; i < d.length; i += 4) {
          if (d[i + 3]! > 100 && colours.some(([r, g, b]) => Math.abs(d[i]! - r!) < 30 && Math.abs(d[i + 1]! - g!) < 30 && Math.abs(d[i + 2]! - b!) < 30)) n++;
        }
        return n;
      }, id);
    for (const id of ['sessions', 'packets', 'bytes', 'dns']) await expect.poll(() => inked(id), { timeout: 8000, message: `chart ${id}` }).toBeGreaterThan(20);
    await shot('overview');
    await page.screenshot({ path: join(ARTIFACTS, 'readme.png'), clip: { x: 0, y: 0, width: 1280, height: 1040 } }); // docs/img/dashboard.png
  });

  it('lists sessions and bindings, filtered by client', async () => {
    await view('sessions', '[data-testid=sessions-table]');
    await page.fill('input[name=client]', ADDR.client6);
    await expect.poll(() => page.locator('[data-testid=sessions-table] tbody tr td').first().textContent(), { timeout: 8000 }).toBe('icmp');
    await page.fill('input[name=client]', '2001:db8:ffff::');
    await page.getByText('No sessions match.').waitFor();
    await page.fill('input[name=client]', '');
    // Publish an IPv6 server on a pool4 port, then remove it, both in the page.
    await page.fill('[data-testid=static-bib-form] input[name=ipv6]', `[${ADDR.client6}]:8080`);
    await page.fill('[data-testid=static-bib-form] input[name=ipv4]', '203.0.113.15:8080');
    await page.click('[data-testid=static-bib-form] button[type=submit]');
    await page.getByText(`Added tcp [${ADDR.client6}]:8080 ↔ 203.0.113.15:8080.`).waitFor();
    const bib = () => (api(t(), 'GET', '/api/v1/bib').json as { items: { ipv4: string; static: boolean }[] }).items.filter((b) => b.static).map((b) => b.ipv4);
    expect(bib()).toEqual(['203.0.113.15:8080']);
    await page.locator('tr[data-bib]', { hasText: '203.0.113.15:8080' }).waitFor();
    await shot('sessions');
    await page.locator('tr[data-bib]', { hasText: '203.0.113.15:8080' }).locator('button').click();
    await page.click('[data-testid=confirm-ok]');
    await expect.poll(bib, { timeout: 5000 }).toEqual([]);
  });

  it('policy rules are reordered and edited in the page', async () => {
    for (const id of ['first', 'second']) expect(api(t(), 'POST', '/api/v1/policy', { id, action: 'allow', destination4: '192.0.2.0/24' }).status).toBe(201);
    await view('policy', 'tr[data-rule=second]');
    await page.click('button[aria-label="Move second up"]');
    const order = () => (api(t(), 'GET', '/api/v1/policy').json as { items: { id: string; action: string; protocol?: string }[] }).items;
    await expect.poll(() => order().map((r) => r.id), { timeout: 5000 }).toEqual(['second', 'first']);
    await page.waitForSelector('tr[data-rule=second]');
    await page.click('button[aria-label="Edit first"]');
    await page.selectOption('[data-testid=policy-form] select[name=protocol]', 'udp');
    await page.click('[data-testid=policy-form] button[type=submit]');
    await expect.poll(() => order().find((r) => r.id === 'first')?.protocol, { timeout: 5000 }).toBe('udp');
    for (const id of ['first', 'second']) expect(api(t(), 'DELETE', `/api/v1/policy/${id}`).status).toBe(200);
  });

  it('a policy rule added in the page blocks a flow; removed in the page, the flow works again', async () => {
    expect(ping(host(OLD))).toMatch(/2 received/);
    await view('policy', '[data-testid=policy-table]');
    await page.click('[data-testid=policy-add]');
    await page.fill('[data-testid=policy-form] input[name=id]', 'dash-deny');
    await page.selectOption('[data-testid=policy-form] select[name=action]', 'deny');
    await page.fill('[data-testid=policy-form] input[name=destination4]', '198.51.100.0/24');
    await page.click('[data-testid=policy-form] button[type=submit]');
    await page.waitForSelector('tr[data-rule=dash-deny]');
    const r = client('ping', ['-6', '-c', '1', '-W', '2', host(OLD)]);
    expect(r.stdout).toMatch(/0 received/);
    expect(dig('www.example.net')).toBe(''); // DNS64 follows the policy
    expect((api(t(), 'GET', '/api/v1/policy').json as { items: { id: string }[] }).items.map((i) => i.id)).toContain('dash-deny');
    await view('policy', 'tr[data-rule=dash-deny]');
    expect(Number(await page.locator('tr[data-rule=dash-deny] [data-hits]').getAttribute('data-hits'))).toBeGreaterThan(0);
    await shot('policy');
    await page.click('tr[data-rule=dash-deny] button[aria-label="Remove dash-deny"]');
    await page.click('[data-testid=confirm-ok]');
    await page.getByText('No rules: everything is translated.').waitFor();
    expect(ping(host(OLD))).toMatch(/2 received/);
  });

  it('the prefix changed in the page moves DNS64 and the routes; the result names each step', async () => {
    await view('prefix', '[data-testid=prefix-form]');
    await page.fill('[data-testid=prefix-form] input[name=prefix]', NEW);
    await page.click('[data-testid=prefix-form] button[type=submit]');
    const dialog = page.locator('dialog.confirm');
    await dialog.waitFor();
    const said = await dialog.textContent();
    expect(said).toContain(`DNS64 synthesizes AAAA under ${NEW} instead of ${OLD}`);
    expect(said).toContain(`The kernel route for ${OLD} into ${TUN} is replaced by one for ${NEW}`);
    expect(said).toMatch(/sessions open now/);
    await shot('prefix-confirm');
    await page.click('[data-testid=confirm-ok]');
    await page.waitForSelector('[data-testid=apply-result]');
    const outcomes = await page.locator('[data-testid=apply-result] li').evaluateAll((lis) => lis.map((li) => `${li.getAttribute('data-step')}:${li.getAttribute('data-outcome')}`));
    expect(outcomes).toEqual(['kernel routes:done', 'static BIB entries:unchanged', 'DNS64:done', 'config file:done', 'translator:done', 'history:done']);
    await shot('prefix-result');
    expect(dig('www.example.net')).toBe(host(NEW));
    expect(routes()).toContain(NEW);
    expect(routes()).not.toContain(OLD);
    expect(ping(host(NEW))).toMatch(/2 received/);
  });

  it('rollback from the history page restores the prefix, after one confirmation', async () => {
    await view('history', '[data-testid=history] li');
    const top = page.locator('[data-testid=history] > li').first();
    await top.locator('summary').click();
    await top.locator('table.diff').waitFor();
    expect(await top.locator('table.diff').textContent()).toContain('prefix');
    const target = await page.locator('[data-testid=history] > li').nth(1).getAttribute('data-version');
    await shot('history');
    await page.locator('[data-testid=history] > li').nth(1).locator('button.danger').click();
    await page.click('[data-testid=confirm-ok]');
    await page.waitForSelector('[data-testid=apply-result]');
    expect(await page.locator('[data-testid=apply-result] h2').textContent()).toBe(`Rolled back to version ${target}`);
    expect(dig('www.example.net')).toBe(host(OLD));
    expect(routes()).toContain(OLD);
    expect(routes()).not.toContain(NEW);
    expect((api(t(), 'GET', '/api/v1/prefix').json as { prefix: string }).prefix).toBe(OLD);
  });

  it('a stale page cannot overwrite a change made meanwhile (412 shown, nothing changed)', async () => {
    await view('policy', '[data-testid=policy-table]');
    expect(api(t(), 'POST', '/api/v1/policy', { id: 'from-curl', action: 'allow' }).status).toBe(201); // someone else
    await page.click('[data-testid=policy-add]');
    await page.fill('[data-testid=policy-form] input[name=id]', 'stale-page');
    await page.click('[data-testid=policy-form] button[type=submit]');
    await page.getByText(/Someone changed the configuration meanwhile; nothing was changed/).waitFor();
    expect((api(t(), 'GET', '/api/v1/policy').json as { items: { id: string }[] }).items.map((i) => i.id)).toEqual(['from-curl']);
    expect(api(t(), 'DELETE', '/api/v1/policy/from-curl').status).toBe(200);
    problems.splice(0); // the 412 itself is logged by the browser as a failed request
  });

  it('the trace view shows a ping, and the pcap downloads', async () => {
    await view('trace', '[data-testid=trace-table]');
    await page.fill('input[name=client]', '2001:db8:1::/64');
    await page.fill('input[name=seconds]', '6');
    await page.click('[data-testid=trace-start]');
    await page.getByText(/Tracing/).first().waitFor();
    await new Promise((r) => setTimeout(r, 300));
    expect(ping(host(OLD))).toMatch(/2 received/);
    const row = page.locator('[data-testid=trace-table] tbody tr', { hasText: ADDR.client6 }).filter({ hasText: 'forward' });
    await row.first().waitFor({ timeout: 10_000 });
    await shot('trace');
    await page.fill('input[name=seconds]', '2');
    const download = page.waitForEvent('download', { timeout: 15_000 });
    await page.click('[data-testid=trace-pcap]');
    const file = join(browserDir, 'trace.pcap');
    await (await download).saveAs(file);
    expect(readFileSync(file).readUInt32LE(0)).toBe(0xa1b2c3d4);
  });

  it('had no console errors and no CSP violations', () => {
    expect(problems.join('\n')).toBe('');
  });

  it('renders every view at phone width without horizontal scrolling', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    for (const [name, ready] of [['overview', '[data-testid=chart-packets] canvas'], ['sessions', '[data-testid=sessions-table]'], ['policy', '[data-testid=policy-table]'], ['prefix', '[data-testid=prefix-form]'], ['history', '[data-testid=history] li'], ['trace', '[data-testid=trace-table]']] as const) {
      await view(name, ready);
      await new Promise((r) => setTimeout(r, 300));
      const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      expect(scroll, `${name}: page ${scroll}px wide in a ${width}px viewport`).toBeLessThanOrEqual(width);
      await shot(`phone-${name}`);
    }
    expect(problems.join('\n')).toBe('');
  });

  it('a token the API stops accepting brings the prompt back (401 → token prompt)', async () => {
    await page.evaluate(() => sessionStorage.setItem('sixgate.token', 'revoked-token-revoked-token'));
    await view('overview', 'form[data-testid=login]');
    await page.getByText('The API refused the token (401). Enter it again.').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('sixgate.token'))).toBeNull();
    await page.fill('#token', TOKEN);
    await page.press('#token', 'Enter');
    await page.waitForSelector('[data-testid=numbers]');
  });
});
