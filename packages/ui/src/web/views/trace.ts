/** Live trace: the SSE stream of translator and DNS64 decisions, filtered; and the pcap download. */
import { download, stream } from '../api.js';
import { field, fill, h, notice } from '../dom.js';
import type { View } from '../main.js';
import type { TraceEvent } from '../types.js';

const MAX_ROWS = 500;

function query(client: string, dst: string, seconds: number, format: 'sse' | 'pcap'): string {
  const p = new URLSearchParams({ seconds: String(seconds), format });
  if (client) p.set('client', client);
  if (dst) p.set('dst', dst);
  return `/api/v1/trace?${p.toString()}`;
}

export const trace: View = {
  title: 'Live trace',
  async render(root, signal) {
    const client = h('input', { name: 'client', placeholder: '2001:db8:1::/64' });
    const dst = h('input', { name: 'dst', placeholder: '198.51.100.0/24' });
    const seconds = h('input', { name: 'seconds', type: 'number', min: 1, max: 300, value: 30 });
    const start = h('button', { type: 'submit', 'data-testid': 'trace-start' }, 'Start');
    const stop = h('button', { type: 'button', disabled: true }, 'Stop');
    const pcap = h('button', { type: 'button', 'data-testid': 'trace-pcap' }, 'Download pcap');
    const status = h('p', { class: 'hint', 'aria-live': 'polite' }, 'Not tracing.');
    const body = h('tbody', {});
    const table = h('div', { class: 'table-wrap' }, h('table', { 'data-testid': 'trace-table' }, h('thead', {}, h('tr', {}, ['Time', 'Source', 'Direction', 'Client', 'Destination', 'Protocol', 'Decision', 'Reason / detail'].map((c) => h('th', { scope: 'col' }, c)))), body));
    let running: AbortController | undefined;
    signal.addEventListener('abort', () => running?.abort());
    const form = h(
      'form',
      { class: 'card filters', 'aria-label': 'Trace filter' },
      field('Client', client, 'address or prefix'),
      field('Destination', dst, 'address or prefix'),
      field('Seconds', seconds, '1–300'),
      h('div', { class: 'buttons' }, start, stop, pcap),
    );
    const secs = (): number => Math.max(1, Math.min(300, Number(seconds.value) || 30));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      running?.abort();
      const abort = new AbortController();
      running = abort;
      body.replaceChildren();
      let n = 0;
      start.disabled = true;
      stop.disabled = false;
      status.textContent = `Tracing for ${secs()} s…`;
      stream(
        query(client.value.trim(), dst.value.trim(), secs(), 'sse'),
        (event, data) => {
          if (event === 'end') {
            const end = JSON.parse(data) as { records: number; dropped: number; reason: string };
            status.textContent = `Ended (${end.reason}): ${end.records} records${end.dropped > 0 ? `, ${end.dropped} dropped because the page read too slowly` : ''}.`;
            return;
          }
          const e = JSON.parse(data) as TraceEvent;
          n++;
          body.prepend(
            h(
              'tr',
              { class: `decision-${e.decision}` },
              h('td', {}, new Date(e.ts).toLocaleTimeString()),
              h('td', {}, e.source),
              h('td', {}, e.direction ?? ''),
              h('td', {}, e.client),
              h('td', {}, e.dst),
              h('td', {}, e.protocol ?? ''),
              h('td', {}, e.decision),
              h('td', {}, [e.reason, e.detail].filter(Boolean).join(' · ')),
            ),
          );
          while (body.childElementCount > MAX_ROWS) body.lastElementChild!.remove();
          if (!status.textContent?.startsWith('Ended')) status.textContent = `Tracing… ${n} records`;
        },
        abort.signal,
      )
        .catch((e: Error) => {
          if (!abort.signal.aborted) form.after(notice('error', e.message));
        })
        .finally(() => {
          start.disabled = false;
          stop.disabled = true;
          if (abort.signal.aborted) status.textContent = `Stopped: ${n} records.`;
        });
    });
    stop.addEventListener('click', () => running?.abort());
    pcap.addEventListener('click', () => {
      pcap.disabled = true;
      status.textContent = `Capturing packets for ${secs()} s…`;
      download(query(client.value.trim(), dst.value.trim(), secs(), 'pcap'), signal)
        .then((blob) => {
          const a = h('a', { href: URL.createObjectURL(blob), download: `sixgate-${new Date().toISOString().replace(/[:.]/g, '-')}.pcap` });
          document.body.append(a);
          a.click();
          a.remove();
          setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
          status.textContent = `Downloaded ${blob.size} bytes of pcap.`;
        })
        .catch((e: Error) => form.after(notice('error', e.message)))
        .finally(() => (pcap.disabled = false));
    });
    fill(root, form, status, table);
  },
};
