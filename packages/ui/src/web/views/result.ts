/** The outcome of one configuration change, step by step (the transaction of SPEC §7). */
import { h } from '../dom.js';
import type { ApplyResult } from '../types.js';

const MARK: Record<string, string> = { done: '✓ done', unchanged: '= unchanged', skipped: '– skipped', failed: '✗ failed' };

export function resultCard(title: string, r: ApplyResult): HTMLElement {
  return h(
    'section',
    { class: 'card result', 'data-testid': 'apply-result', role: 'status' },
    h('h2', {}, title),
    h('p', {}, `${r.summary} — version ${r.version}`),
    r.changed.length > 0 ? h('p', { class: 'hint' }, `Changed: ${r.changed.join(', ')}`) : null,
    h(
      'ol',
      { class: 'steps' },
      (r.steps ?? []).map((s) => h('li', { class: `step ${s.outcome}`, 'data-step': s.step, 'data-outcome': s.outcome }, h('strong', {}, s.step), ` ${MARK[s.outcome] ?? s.outcome}`, s.detail ? h('small', {}, ` — ${s.detail}`) : null)),
    ),
  );
}

/** A failed change: the API says which step failed and that the old configuration stays. */
export function failureCard(title: string, message: string): HTMLElement {
  return h('section', { class: 'card result failed', 'data-testid': 'apply-result', role: 'alert' }, h('h2', {}, title), h('p', {}, message));
}
