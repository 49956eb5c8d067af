/** Policy: the ordered rules with hit counters; add, edit, move, remove (first match wins). */
import { get, write } from '../api.js';
import { confirmDialog, field, fill, h, notice } from '../dom.js';
import { num } from '../fmt.js';
import type { View } from '../main.js';
import type { ApplyResult, PolicyRule } from '../types.js';

type RuleWithHits = PolicyRule & { hits: number };

const describe = (r: PolicyRule): string =>
  [r.protocol ?? 'any protocol', r.source6 ? `from ${r.source6}` : 'from anyone', r.destination4 ? `to ${r.destination4}` : 'to anywhere', r.ports ? `port ${r.ports}` : ''].filter(Boolean).join(' ');

function ruleForm(rules: RuleWithHits[], editing: RuleWithHits | undefined, done: (message: string) => void, cancel: () => void): HTMLFormElement {
  const id = h('input', { name: 'id', required: true, pattern: '[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}', value: editing?.id ?? '', ...(editing ? { readonly: true } : {}) });
  const action = h('select', { name: 'action' }, h('option', { value: 'deny' }, 'deny'), h('option', { value: 'allow' }, 'allow'));
  action.value = editing?.action ?? 'deny';
  const source6 = h('input', { name: 'source6', placeholder: '2001:db8:1::/64', value: editing?.source6 ?? '' });
  const destination4 = h('input', { name: 'destination4', placeholder: '198.51.100.0/24', value: editing?.destination4 ?? '' });
  const protocol = h('select', { name: 'protocol' }, h('option', { value: '' }, 'any'), ...['tcp', 'udp', 'icmp'].map((p) => h('option', { value: p }, p)));
  protocol.value = editing?.protocol ?? '';
  const ports = h('input', { name: 'ports', placeholder: '443 or 1000-2000', value: editing?.ports ?? '' });
  const at = editing ? rules.findIndex((r) => r.id === editing.id) : rules.length;
  const position = h('input', { name: 'position', type: 'number', min: 1, max: rules.length + (editing ? 0 : 1), value: at + 1 });
  const out = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card', 'data-testid': 'policy-form' },
    h('h2', {}, editing ? `Edit rule ${editing.id}` : 'Add a rule'),
    h(
      'div',
      { class: 'row' },
      field('Name', id),
      field('Action', action),
      field('IPv6 source', source6, 'prefix; empty: any'),
      field('IPv4 destination', destination4, 'prefix; empty: any'),
      field('Protocol', protocol),
      field('Ports', ports, 'tcp/udp only'),
      field('Position', position, '1 = first'),
    ),
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, editing ? 'Save' : 'Add'), h('button', { type: 'button', onclick: cancel }, 'Cancel')),
    out,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const rule: PolicyRule = { id: id.value.trim(), action: action.value as 'allow' | 'deny' };
    if (source6.value.trim()) rule.source6 = source6.value.trim();
    if (destination4.value.trim()) rule.destination4 = destination4.value.trim();
    if (protocol.value) rule.protocol = protocol.value as PolicyRule['protocol'];
    if (ports.value.trim()) rule.ports = ports.value.trim();
    const pos = Math.max(0, Math.min(Number(position.value) - 1, rules.length));
    void (async () => {
      try {
        const r = editing
          ? await write<ApplyResult>('PUT', `/api/v1/policy/${encodeURIComponent(editing.id)}?position=${Math.min(pos, rules.length - 1)}`, rule)
          : await write<ApplyResult>('POST', `/api/v1/policy?position=${pos}`, rule);
        done(`${r.summary} (version ${r.version}).`);
      } catch (e) {
        fill(out, notice('error', (e as Error).message));
      }
    })();
  });
  return form;
}

export const policy: View = {
  title: 'Policy',
  async render(root, signal) {
    const { items } = await get<{ items: RuleWithHits[] }>('/api/v1/policy', signal);
    if (signal.aborted) return;
    const message = h('div', { 'aria-live': 'polite' });
    const formSlot = h('div', {});
    const reload = (text?: string): void => {
      void policy.render(root, signal).then(() => {
        if (text) root.prepend(notice('ok', text));
      }, (e: Error) => root.prepend(notice('error', e.message)));
    };
    const openForm = (editing?: RuleWithHits): void => {
      const form = ruleForm(items, editing, (text) => reload(text), () => fill(formSlot));
      fill(formSlot, form);
      form.querySelector<HTMLInputElement>(editing ? 'select' : 'input')?.focus();
    };
    const move = async (r: RuleWithHits, to: number): Promise<void> => {
      try {
        const res = await write<ApplyResult>('PUT', `/api/v1/policy/${encodeURIComponent(r.id)}?position=${to}`, Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'hits')));
        reload(`Moved ${r.id} to position ${to + 1} (version ${res.version}).`);
      } catch (e) {
        fill(message, notice('error', (e as Error).message));
      }
    };
    const remove = async (r: RuleWithHits): Promise<void> => {
      if (!(await confirmDialog(`Remove rule ${r.id}`, [`"${r.action} ${describe(r)}" stops deciding new sessions; the rules below it move up.`, 'Existing sessions are not touched.'], 'Remove'))) return;
      try {
        const res = await write<ApplyResult>('DELETE', `/api/v1/policy/${encodeURIComponent(r.id)}`);
        reload(`Removed ${r.id} (version ${res.version}).`);
      } catch (e) {
        fill(message, notice('error', (e as Error).message));
      }
    };
    fill(
      root,
      message,
      h('p', { class: 'hint' }, 'The first rule that matches a new session decides; no match: allowed. DNS64 does not synthesize addresses a deny rule would refuse.'),
      h(
        'section',
        { class: 'card', 'data-testid': 'policy-table' },
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            {},
            h('thead', {}, h('tr', {}, ['#', 'Name', 'Action', 'Matches', 'Hits', ''].map((c) => h('th', { scope: 'col' }, c)))),
            h(
              'tbody',
              {},
              items.length === 0 ? h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No rules: everything is translated.')) : null,
              items.map((r, i) =>
                h(
                  'tr',
                  { 'data-rule': r.id },
                  h('td', {}, i + 1),
                  h('td', {}, r.id),
                  h('td', {}, h('span', { class: `badge ${r.action === 'allow' ? 'ok' : 'bad'}` }, r.action)),
                  h('td', {}, describe(r)),
                  h('td', { 'data-hits': r.hits }, num(r.hits)),
                  h(
                    'td',
                    { class: 'actions' },
                    h('button', { type: 'button', class: 'small', disabled: i === 0, 'aria-label': `Move ${r.id} up`, onclick: () => void move(r, i - 1) }, '↑'),
                    h('button', { type: 'button', class: 'small', disabled: i === items.length - 1, 'aria-label': `Move ${r.id} down`, onclick: () => void move(r, i + 1) }, '↓'),
                    h('button', { type: 'button', class: 'small', 'aria-label': `Edit ${r.id}`, onclick: () => openForm(r) }, 'Edit'),
                    h('button', { type: 'button', class: 'small danger', 'aria-label': `Remove ${r.id}`, onclick: () => void remove(r) }, 'Remove'),
                  ),
                ),
              ),
            ),
          ),
        ),
        h('button', { type: 'button', 'data-testid': 'policy-add', onclick: () => openForm() }, 'Add a rule'),
      ),
      formSlot,
    );
  },
};
