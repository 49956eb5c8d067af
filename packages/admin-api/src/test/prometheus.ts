/**
 * A small strict parser of the Prometheus text format 0.0.4, for tests: every
 * sample must belong to a family declared with # TYPE before it, names and
 * labels must have the legal syntax, and values must be numbers.
 */
export interface Family {
  type: string;
  help: string;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(?:,|$)/;

function parseLabels(text: string, line: string): Record<string, string> {
  const out: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const m = LABEL.exec(rest);
    if (m === null) throw new Error(`bad labels in: ${line}`);
    out[m[1]!] = m[2]!;
    rest = rest.slice(m[0].length);
  }
  return out;
}

function parseValue(text: string, line: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const v = Number(text);
  if (!/^[-+]?[0-9.eE+-]+$/.test(text) || Number.isNaN(v)) throw new Error(`bad value in: ${line}`);
  return v;
}

function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(name);
  if (direct !== undefined) return direct;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  const f = families.get(base);
  return f?.type === 'histogram' || f?.type === 'summary' ? f : undefined;
}

export function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
      const [, kind, name, ...rest] = line.split(' ');
      if (!NAME.test(name ?? '')) throw new Error(`bad metric name in: ${line}`);
      const f = families.get(name!) ?? { type: 'untyped', help: '', samples: [] };
      if (kind === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest[0] ?? '')) throw new Error(`bad type in: ${line}`);
        f.type = rest[0]!;
      } else f.help = rest.join(' ');
      families.set(name!, f);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`bad sample line: ${line}`);
    const f = familyOf(m[1]!, families);
    if (f === undefined) throw new Error(`sample without # TYPE: ${line}`);
    f.samples.push({ name: m[1]!, labels: parseLabels(m[2] ?? '', line), value: parseValue(m[3]!, line) });
  }
  return families;
}
