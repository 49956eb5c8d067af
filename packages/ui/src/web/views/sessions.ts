/** Sessions and BIB: tables with filters; static BIB entries added and removed. */
import { ApiError, get, write } from '../api.js';
import { confirmDialog, field, fill, h, notice } from '../dom.js';
import { duration, num } from '../fmt.js';
import type { View } from '../main.js';
import type { BibEntry, Protocol, Session } from '../types.js';

/** Sessions fetched per refresh; filters apply to these (the API pages by protocol only). */
const PAGE = 1000;

const filters = { client: '', protocol: '' as '' | Protocol, ipv4: '' };

function protocolSelect(value: string, onchange: (v: string) => void, withAny: boolean, name: string): HTMLSelectElement {
  const sel = h('select', { name }, withAny ? h('option', { value: '' }, 'any') : null, ...(['tcp', 'udp', 'icmp'] as const).map((p) => h('option', { value: p }, p)));
  sel.value = value;
  sel.addEventListener('change', () => onchange(sel.value));
  return sel;
}

/** "[2001:db8::1]:80" matches "2001:db8::1", "2001:db8:" or ":80". */
const matches = (text: string, q: string): boolean => q === '' || text.toLowerCase().includes(q.toLowerCase());

export const sessions: View = {
  title: 'Sessions & BIB',
  // No timer: the tables can be large (the API lists every binding), so they are read when asked.
  async render(root, signal) {
    // Keep the user's place: only the tables are redrawn on refresh.
    let tables = root.querySelector<HTMLElement>('.tables');
    if (tables === null) {
      tables = h('div', { class: 'tables' });
      const redraw = (): void => void sessions.render(root, signal).catch((e: Error) => root.prepend(notice('error', e.message)));
      const client = h('input', { type: 'search', name: 'client', placeholder: '2001:db8::2', value: filters.client });
      client.addEventListener('input', () => {
        filters.client = client.value.trim();
        redraw();
      });
      const ipv4 = h('input', { type: 'search', name: 'ipv4', placeholder: '198.51.100.2:443', value: filters.ipv4 });
      ipv4.addEventListener('input', () => {
        filters.ipv4 = ipv4.value.trim();
        redraw();
      });
      const filterForm = h(
        'form',
        { class: 'card filters', role: 'search', 'aria-label': 'Filter sessions and bindings', onsubmit: (ev: Event) => ev.preventDefault() },
        field('Client (IPv6)', client),
        field('Protocol', protocolSelect(filters.protocol, (v) => ((filters.protocol = v as Protocol | ''), redraw()), true, 'protocol')),
        field('IPv4 endpoint', ipv4, 'pool4 or remote address[:port]'),
        h('button', { type: 'button', onclick: redraw }, 'Refresh'),
      );
      fill(root, filterForm, addStaticForm(redraw), tables);
    }
    const q = filters.protocol === '' ? '' : `&protocol=${filters.protocol}`;
    const [page, bib] = await Promise.all([get<{ total: number; items: Session[] }>(`/api/v1/sessions?limit=${PAGE}${q}`, signal), get<{ items: BibEntry[] }>(`/api/v1/bib${q === '' ? '' : `?${q.slice(1)}`}`, signal)]);
    if (signal.aborted) return;
    const rows = page.items.filter((s) => matches(s.ipv6Client, filters.client) && (matches(s.ipv4Local, filters.ipv4) || matches(s.ipv4Remote, filters.ipv4)));
    const bibRows = bib.items.filter((b) => matches(b.ipv6, filters.client) && matches(b.ipv4, filters.ipv4));
    fill(
      tables,
      h(
        'section',
        { class: 'card', 'data-testid': 'sessions-table' },
        h('h2', {}, `Sessions (${num(page.total)})`),
        page.total > page.items.length ? h('p', { class: 'hint' }, `Filtering the first ${num(page.items.length)} of ${num(page.total)} sessions.`) : null,
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            {},
            h('thead', {}, h('tr', {}, ['Protocol', 'IPv6 client', 'Server (as seen by the client)', 'pool4', 'IPv4 server', 'State', 'Expires in'].map((c) => h('th', { scope: 'col' }, c)))),
            h(
              'tbody',
              {},
              rows.length === 0 ? h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'No sessions match.')) : null,
              rows.slice(0, 500).map((s) => h('tr', {}, h('td', {}, s.protocol), h('td', {}, s.ipv6Client), h('td', {}, s.ipv6Server), h('td', {}, s.ipv4Local), h('td', {}, s.ipv4Remote), h('td', {}, s.state), h('td', {}, duration(s.expiresInMs)))),
            ),
          ),
        ),
      ),
      h(
        'section',
        { class: 'card', 'data-testid': 'bib-table' },
        h('h2', {}, `Bindings (${num(bib.items.length)})`),
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            {},
            h('thead', {}, h('tr', {}, ['Protocol', 'IPv6', 'IPv4 (pool4)', 'Kind', 'Sessions', ''].map((c) => h('th', { scope: 'col' }, c)))),
            h(
              'tbody',
              {},
              bibRows.length === 0 ? h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No bindings match.')) : null,
              bibRows.slice(0, 500).map((b) =>
                h(
                  'tr',
                  { 'data-bib': b.id },
                  h('td', {}, b.protocol),
                  h('td', {}, b.ipv6),
                  h('td', {}, b.ipv4),
                  h('td', {}, b.static ? 'static' : 'dynamic'),
                  h('td', {}, num(b.sessions)),
                  h('td', {}, b.static ? h('button', { type: 'button', class: 'danger small', 'aria-label': `Remove static entry ${b.ipv6} ↔ ${b.ipv4}`, onclick: () => void removeStatic(b, tables!, () => void sessions.render(root, signal)) }, 'Remove') : ''),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  },
};

async function removeStatic(b: BibEntry, tables: HTMLElement, redraw: () => void): Promise<void> {
  if (!(await confirmDialog('Remove a static BIB entry', [`${b.protocol} ${b.ipv6} ↔ ${b.ipv4} stops being published on pool4.`, `Its ${b.sessions} sessions end; the change is saved to the config file and the history.`], 'Remove'))) return;
  try {
    // If-Match: the version the table on screen was read at.
    await write('DELETE', `/api/v1/bib/${encodeURIComponent(b.id)}`);
    redraw();
    tables.before(notice('ok', `Removed ${b.ipv6} ↔ ${b.ipv4}.`));
  } catch (e) {
    tables.prepend(notice('error', (e as ApiError).message));
  }
}

function addStaticForm(redraw: () => void): HTMLElement {
  let protocol: Protocol = 'tcp';
  const ipv6 = h('input', { name: 'ipv6', required: true, placeholder: '[2001:db8:1::10]:80', pattern: '\\[[0-9A-Fa-f:.]+\\]:[0-9]{1,5}' });
  const ipv4 = h('input', { name: 'ipv4', required: true, placeholder: '203.0.113.1:8080', pattern: '[0-9.]+:[0-9]{1,5}' });
  const out = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card', 'data-testid': 'static-bib-form' },
    h('h2', {}, 'Publish an IPv6 server (static BIB entry)'),
    h('div', { class: 'row' }, field('Protocol', protocolSelect(protocol, (v) => (protocol = v as Protocol), false, 'bib-protocol')), field('IPv6 server', ipv6, '[address]:port'), field('pool4 address', ipv4, 'address:port')),
    h('button', { type: 'submit' }, 'Add'),
    out,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void (async () => {
      try {
        const e = await write<BibEntry>('POST', '/api/v1/bib', { protocol, ipv6: ipv6.value.trim(), ipv4: ipv4.value.trim() });
        fill(out, notice('ok', `Added ${e.protocol} ${e.ipv6} ↔ ${e.ipv4}.`));
        form.reset();
        redraw();
      } catch (err) {
        fill(out, notice('error', (err as Error).message));
      }
    })();
  });
  return form;
}
