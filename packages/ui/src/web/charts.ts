/** Time-series charts over GET /api/v1/stats/history, drawn by uPlot on a canvas. */
import uPlot from 'uplot';
import { h } from './dom.js';

const COLORS = ['#1d4e89', '#d1495b', '#2a9d8f', '#e9a23b', '#6a4c93', '#8a9a5b', '#4d908e', '#c05299', '#577590', '#f3722c'];

export interface LineSeries {
  label: string;
  values: (number | null)[];
}

export interface ChartSpec {
  id: string;
  title: string;
  /** Sample times in Unix milliseconds. */
  t: number[];
  series: LineSeries[];
  /** Formats axis ticks and legend values. */
  format: (v: number | null) => string;
}

interface Live {
  plot: uPlot;
  labels: string;
}

const live = new Map<string, Live>();
const observer = typeof ResizeObserver === 'undefined' ? undefined : new ResizeObserver((entries) => {
  for (const e of entries) {
    const id = (e.target as HTMLElement).dataset['chart'];
    const c = id === undefined ? undefined : live.get(id);
    if (c !== undefined) c.plot.setSize(sizeOf(e.target as HTMLElement));
  }
});

function sizeOf(el: HTMLElement): { width: number; height: number } {
  return { width: Math.max(200, Math.floor(el.clientWidth)), height: 180 };
}

const cards = new Map<string, { card: HTMLElement; body: HTMLElement }>();

/**
 * The card of chart `spec.id`: made once, then reused, so a refresh only
 * gives uPlot new data (same series) instead of building a new chart.
 */
export function chartCard(spec: ChartSpec): HTMLElement {
  let c = cards.get(spec.id);
  if (c === undefined) {
    const body = h('div', { class: 'chart', 'data-chart': spec.id, role: 'img', 'aria-label': spec.title });
    c = { body, card: h('section', { class: 'card chart-card', 'data-testid': `chart-${spec.id}` }, h('h3', {}, spec.title), body) };
    cards.set(spec.id, c);
  }
  const body = c.body;
  requestAnimationFrame(() => draw(body, spec));
  return c.card;
}

function draw(el: HTMLElement, spec: ChartSpec): void {
  if (!el.isConnected) return;
  const data: uPlot.AlignedData = [spec.t.map((ms) => ms / 1000), ...spec.series.map((s) => s.values)];
  const labels = spec.series.map((s) => s.label).join('\n');
  const old = live.get(spec.id);
  if (old !== undefined && old.labels === labels && old.plot.root.parentElement === el) {
    old.plot.setData(data);
    return;
  }
  old?.plot.destroy();
  const fmt = (_u: uPlot, v: number | null): string => spec.format(v);
  const opts: uPlot.Options = {
    ...sizeOf(el),
    scales: { x: { time: true } },
    series: [{}, ...spec.series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length]!, width: 1.5, value: fmt, spanGaps: false }))],
    axes: [{}, { values: (_u: uPlot, ticks: number[]) => ticks.map((v) => spec.format(v)), size: 56 }],
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
  };
  const plot = new uPlot(opts, data, el);
  live.set(spec.id, { plot, labels });
  observer?.observe(el);
}

/** Forgets every chart (the view changed). */
export function dropCharts(): void {
  for (const c of live.values()) c.plot.destroy();
  live.clear();
  cards.clear();
}
