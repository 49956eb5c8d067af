/**
 * The sixgate dashboard: a single page over the admin API. Views by URL hash
 * (#/overview, #/sessions, #/policy, #/prefix, #/history, #/trace); the token
 * prompt comes first and again after any 401.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { setToken, setUnauthorizedHandler, token, ApiError } from './api.js';
import { dropCharts } from './charts.js';
import { fill, h, notice } from './dom.js';
import { overview } from './views/overview.js';
import { sessions } from './views/sessions.js';
import { policy } from './views/policy.js';
import { prefix } from './views/prefix.js';
import { history } from './views/history.js';
import { trace } from './views/trace.js';

export interface View {
  title: string;
  /** Draws the view into `root`; called again every `refreshMs` if set. `signal` aborts when the view is left. */
  render(root: HTMLElement, signal: AbortSignal): Promise<void>;
  refreshMs?: number;
}

const VIEWS: Record<string, View> = { overview, sessions, policy, prefix, history, trace };

const main = h('main', { id: 'main', tabindex: -1 });
const nav = h('nav', { 'aria-label': 'Views' });
const statusLine = h('p', { class: 'status-line', role: 'status', 'aria-live': 'polite' });
let current: { name: string; abort: AbortController; timer?: number } | undefined;

function currentName(): string {
  const m = /^#\/([a-z]+)/.exec(location.hash);
  return m && m[1]! in VIEWS ? m[1]! : 'overview';
}

function drawNav(active: string): void {
  fill(
    nav,
    h('ul', {}, Object.entries(VIEWS).map(([name, v]) => h('li', {}, h('a', { href: `#/${name}`, ...(name === active ? { 'aria-current': 'page' } : {}) }, v.title)))),
    h('button', { type: 'button', class: 'link', onclick: () => logout() }, 'Forget token'),
  );
}

async function show(): Promise<void> {
  if (token() === null) return askToken();
  const name = currentName();
  current?.abort.abort();
  if (current?.timer !== undefined) clearInterval(current.timer);
  dropCharts();
  const view = VIEWS[name]!;
  const abort = new AbortController();
  current = { name, abort };
  drawNav(name);
  document.title = `sixgate · ${view.title}`;
  fill(main, h('h1', {}, view.title), h('div', { class: 'view', 'data-view': name }));
  const root = main.querySelector('.view') as HTMLElement;
  const run = async (): Promise<void> => {
    try {
      await view.render(root, abort.signal);
      statusLine.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    } catch (e) {
      if (abort.signal.aborted) return;
      if (e instanceof ApiError && e.status === 401) return;
      statusLine.textContent = '';
      root.prepend(notice('error', (e as Error).message));
    }
  };
  await run();
  if (view.refreshMs !== undefined && !abort.signal.aborted) current.timer = window.setInterval(() => void run(), view.refreshMs);
}

function logout(): void {
  setToken(null);
  askToken();
}

/** The token prompt: checked against the API before it is kept. */
function askToken(message?: string): void {
  current?.abort.abort();
  if (current?.timer !== undefined) clearInterval(current.timer);
  current = undefined;
  dropCharts();
  fill(nav);
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'current-password', required: true, 'aria-describedby': 'token-help', id: 'token' });
  const out = h('div', { 'aria-live': 'assertive' }, message ? notice('error', message) : null);
  const form = h(
    'form',
    { class: 'card login', 'data-testid': 'login' },
    h('h1', {}, 'sixgate'),
    h('label', { for: 'token' }, 'Admin API token'),
    input,
    h('p', { id: 'token-help', class: 'hint' }, 'The bearer token of the admin API (api.token, or the token file in the state directory). It is kept for this tab only.'),
    h('button', { type: 'submit' }, 'Sign in'),
    out,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void (async () => {
      // Checked with a plain fetch: a 401 here is an answer for this form, not a lost session.
      const candidate = input.value.trim();
      let status = 0;
      try {
        status = (await fetch('/api/v1/config', { headers: { authorization: `Bearer ${candidate}` }, cache: 'no-store' })).status;
      } catch (e) {
        fill(out, notice('error', `Cannot reach the API: ${(e as Error).message}`));
        return;
      }
      if (status !== 200) {
        fill(out, notice('error', status === 401 ? 'That token was refused.' : `The API answered ${status}.`));
        input.select();
        return;
      }
      setToken(candidate);
      await show();
      main.focus();
    })();
  });
  fill(main, form);
  input.focus();
}

setUnauthorizedHandler(() => askToken('The API refused the token (401). Enter it again.'));

document.body.append(
  h('a', { href: '#main', class: 'skip' }, 'Skip to content'),
  h('header', {}, h('span', { class: 'brand' }, 'sixgate'), nav),
  main,
  h('footer', {}, statusLine),
);
window.addEventListener('hashchange', () => void show());
void show();
