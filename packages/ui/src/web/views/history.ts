/** History: configuration versions, what each changed, and rollback with one confirmation. */
import { get, write } from '../api.js';
import { confirmDialog, fill, h } from '../dom.js';
import { diffConfigs } from '../fmt.js';
import type { View } from '../main.js';
import type { ApplyResult, HistoryEntry } from '../types.js';
import { failureCard, resultCard } from './result.js';

interface Version extends HistoryEntry {
  config: unknown;
}

async function diffOf(items: HistoryEntry[], i: number, signal: AbortSignal): Promise<HTMLElement> {
  const v = items[i]!;
  const older = items[i + 1];
  const [a, b] = await Promise.all([older ? get<Version>(`/api/v1/config/history/${older.version}`, signal) : undefined, get<Version>(`/api/v1/config/history/${v.version}`, signal)]);
  if (a === undefined) return h('p', { class: 'hint' }, 'The oldest version kept: nothing to compare it with.');
  const d = diffConfigs(a.config, b.config);
  if (d.length === 0) return h('p', { class: 'hint' }, 'Same configuration as the version before.');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'diff' },
      h('caption', {}, `Version ${older!.version} → ${v.version}`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Key'), h('th', { scope: 'col' }, 'Before'), h('th', { scope: 'col' }, 'After'))),
      h('tbody', {}, d.map((x) => h('tr', {}, h('th', { scope: 'row' }, x.key), h('td', { class: 'del' }, x.before ?? '(absent)'), h('td', { class: 'add' }, x.after ?? '(absent)')))),
    ),
  );
}

export const history: View = {
  title: 'History',
  async render(root, signal) {
    const { items } = await get<{ items: HistoryEntry[] }>('/api/v1/config/history', signal);
    if (signal.aborted) return;
    const out = h('div', { 'aria-live': 'polite' });
    const rollback = async (v: HistoryEntry): Promise<void> => {
      const ok = await confirmDialog(
        `Roll back to version ${v.version}?`,
        [`The configuration of version ${v.version} ("${v.summary}", ${new Date(v.appliedAt).toLocaleString()}) is applied to DNS64, the translator and the routes in one step.`, 'Keys pinned by flags or environment variables keep their values. The rollback becomes a new version.'],
        `Roll back to ${v.version}`,
      );
      if (!ok) return;
      try {
        const r = await write<ApplyResult>('POST', '/api/v1/config/rollback', { version: v.version });
        fill(root, resultCard(`Rolled back to version ${v.version}`, r), h('p', {}, h('a', { href: '#/overview' }, 'Back to the overview')));
      } catch (e) {
        fill(out, failureCard('Nothing was rolled back', (e as Error).message));
      }
    };
    fill(
      root,
      out,
      h(
        'ol',
        { class: 'history', 'data-testid': 'history' },
        items.map((v, i) => {
          const diff = h('div', { class: 'diff-slot' });
          const details = h('details', {}, h('summary', {}, 'What changed'), diff);
          details.addEventListener('toggle', () => {
            if (details.open && diff.childElementCount === 0) {
              diffOf(items, i, signal).then((el) => fill(diff, el), (e: Error) => fill(diff, h('p', { class: 'notice error' }, e.message)));
            }
          });
          return h(
            'li',
            { class: 'card', 'data-version': v.version },
            h('h2', {}, `Version ${v.version}`, i === 0 ? h('span', { class: 'badge ok' }, 'in effect') : null),
            h('p', {}, v.summary),
            h('p', { class: 'hint' }, new Date(v.appliedAt).toLocaleString()),
            details,
            i === 0 ? null : h('button', { type: 'button', class: 'danger', onclick: () => void rollback(v) }, `Roll back to version ${v.version}`),
          );
        }),
      ),
    );
  },
};
