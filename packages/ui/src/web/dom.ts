/** A tiny DOM builder: text always goes in as text (never parsed as HTML). */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((ev: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? String(c) : c);
  }
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A labelled input row for forms. */
export function field(label: string, input: HTMLElement, hint?: string): HTMLLabelElement {
  return h('label', { class: 'field' }, h('span', {}, label), input, hint ? h('small', {}, hint) : null);
}

/** An error or notice line (role=alert for screen readers). */
export function notice(kind: 'error' | 'ok' | 'info', text: string): HTMLElement {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

/**
 * A modal confirmation (native <dialog>: focus trapped, Esc cancels). `lines`
 * say exactly what will happen. Resolves true only for the confirm button.
 */
export function confirmDialog(title: string, lines: string[], confirmLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ok = h('button', { type: 'submit', value: 'ok', class: 'danger', 'data-testid': 'confirm-ok' }, confirmLabel);
    const cancel = h('button', { type: 'submit', value: 'cancel', 'data-testid': 'confirm-cancel' }, 'Cancel');
    const form = h('form', { method: 'dialog' }, h('h2', {}, title), h('ul', {}, lines.map((l) => h('li', {}, l))), h('div', { class: 'buttons' }, cancel, ok));
    const dlg = h('dialog', { class: 'confirm', 'aria-label': title }, form);
    document.body.append(dlg);
    dlg.addEventListener('close', () => {
      resolve(dlg.returnValue === 'ok');
      dlg.remove();
    });
    dlg.showModal();
    cancel.focus();
  });
}
