/** Prefix: change it with a confirmation naming everything that moves; then each step's outcome. */
import { get, write } from '../api.js';
import { confirmDialog, field, fill, h, notice } from '../dom.js';
import { num } from '../fmt.js';
import type { View } from '../main.js';
import type { ApplyResult, ConfigState, Stats } from '../types.js';
import { failureCard, resultCard } from './result.js';

const LENGTHS = [32, 40, 48, 56, 64, 96];

/** RFC 6052 §2.2: the prefix lengths DNS64 and the translator accept (the API checks the rest). */
function checkShape(text: string): string | undefined {
  const m = /^([0-9A-Fa-f:]+)\/(\d{1,3})$/.exec(text);
  if (!m) return 'Write the prefix as address/length, e.g. 2001:db8:64::/96.';
  if (!LENGTHS.includes(Number(m[2]))) return `The length must be one of ${LENGTHS.join(', ')} (RFC 6052 §2.2).`;
  return undefined;
}

export const prefix: View = {
  title: 'Prefix',
  async render(root, signal) {
    const [cfg, prefixNow, stats] = await Promise.all([get<ConfigState>('/api/v1/config', signal), get<{ prefix: string; pinned?: string }>('/api/v1/prefix', signal), get<Stats>('/api/v1/stats', signal)]);
    if (signal.aborted) return;
    const c = cfg.config;
    const input = h('input', { name: 'prefix', required: true, value: prefixNow.prefix, spellcheck: false, autocomplete: 'off', ...(prefixNow.pinned ? { disabled: true } : {}) });
    const out = h('div', { 'aria-live': 'polite' });
    const sessions = stats.nat64.sessions['total'] ?? 0;
    const form = h(
      'form',
      { class: 'card', 'data-testid': 'prefix-form' },
      h('p', {}, 'The NAT64 prefix is one setting shared by DNS64 and the translator: a change moves both, and the routes, in one step; if any part fails, all of it is undone.'),
      h('p', {}, 'Now: ', h('strong', { 'data-metric': 'prefix' }, prefixNow.prefix)),
      prefixNow.pinned ? notice('info', `The prefix is pinned by ${prefixNow.pinned}; change that and restart to change it.`) : null,
      field('New prefix', input, `lengths ${LENGTHS.join(', ')}`),
      h('button', { type: 'submit', ...(prefixNow.pinned ? { disabled: true } : {}) }, 'Review the change…'),
      out,
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const next = input.value.trim();
      const bad = checkShape(next);
      if (bad !== undefined) return fill(out, notice('error', bad));
      if (next === prefixNow.prefix) return fill(out, notice('info', 'That is the prefix in effect; nothing to change.'));
      const lines = [
        `DNS64 synthesizes AAAA under ${next} instead of ${prefixNow.prefix}; its cached synthesized answers are flushed, so clients get the new addresses on their next query.`,
        `The translator translates ${next}; the ${num(sessions)} sessions open now${sessions > 0 ? ' (those of the old prefix)' : ''} are dropped and their connections break.`,
        c.nat64.manageRoutes ? `The kernel route for ${prefixNow.prefix} into ${c.nat64.tun} is replaced by one for ${next}.` : `Kernel routes are yours (nat64.manageRoutes is off): route ${next} to this appliance yourself.`,
        'The config file is rewritten (comments kept) and a new history version is recorded; you can roll back from History.',
      ];
      void (async () => {
        if (!(await confirmDialog(`Change the prefix to ${next}?`, lines, 'Change the prefix'))) return;
        try {
          const r = await write<ApplyResult>('PUT', '/api/v1/prefix', { prefix: next });
          fill(root, resultCard(`The prefix is now ${next}`, r), h('p', {}, h('a', { href: '#/overview' }, 'Back to the overview')));
        } catch (e) {
          fill(out, failureCard('The prefix was not changed', (e as Error).message));
        }
      })();
    });
    fill(root, form);
  },
};
