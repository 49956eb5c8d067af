/**
 * The config file's two formats. YAML goes through the `yaml` Document API so
 * an operator's comments, key order and styles survive a rewrite; JSON stays
 * JSON (parsed and printed with the built-in JSON, key order kept).
 */
import type { TSchema } from '@sinclair/typebox';
import { Document, isMap, isScalar, isSeq, parseDocument, Scalar, type Node, type Pair } from 'yaml';
import { ConfigError } from './errors.js';
import { isRecord } from './paths.js';
import { ConfigSchema, type Config } from './schema.js';

/** A file is JSON by extension (`.json`) or, without a YAML extension, by a leading `{`. */
export type FileFormat = 'yaml' | 'json';

/** Largest config file accepted; a bigger file is a mistake, not a config. */
export const MAX_CONFIG_BYTES = 1_048_576;

/** Picks the format from the file name, then from the content. */
export function detectFormat(file: string, text = ''): FileFormat {
  if (/\.json$/i.test(file)) return 'json';
  if (/\.ya?ml$/i.test(file)) return 'yaml';
  return text.trimStart().startsWith('{') ? 'json' : 'yaml';
}

/** A parsed config file: the plain data, and for YAML the editable document. */
export interface ParsedFile {
  readonly format: FileFormat;
  readonly data: Record<string, unknown>;
  readonly doc?: Document;
}

function parseError(file: string, detail: string): ConfigError {
  return new ConfigError('ERR_CONFIG_PARSE', [`${file}: ${detail}`]);
}

/** Parses config text; an empty file is an empty mapping (all defaults). */
export function parseConfigText(text: string, format: FileFormat, file: string): ParsedFile {
  if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) throw parseError(file, `is larger than ${MAX_CONFIG_BYTES} bytes`);
  let data: unknown;
  let doc: Document | undefined;
  if (format === 'json') {
    try {
      data = text.trim() === '' ? {} : JSON.parse(text);
    } catch (err) {
      throw parseError(file, `is not valid JSON (${(err as Error).message})`);
    }
  } else {
    doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    const first = doc.errors[0];
    if (first !== undefined) throw parseError(file, `is not valid YAML (${first.message.split('\n')[0]})`);
    try {
      data = doc.toJS({ maxAliasCount: 100 }) ?? {};
    } catch (err) {
      throw parseError(file, `cannot be read (${(err as Error).message})`);
    }
  }
  if (!isRecord(data)) throw parseError(file, 'must contain a mapping of keys (prefix, dns64, nat64, api, stateDir, log) at the top');
  return { format, data, ...(doc === undefined ? {} : { doc }) };
}

function propertiesOf(schema: TSchema | undefined): Record<string, TSchema> {
  return (schema?.['properties'] ?? {}) as Record<string, TSchema>;
}

/** Comments one key from its schema description, then its sub-keys. */
function annotatePair(pair: Pair, props: Record<string, TSchema>, depth: number, first: boolean): void {
  // Document.setIn stores a new key as a bare string; a comment needs a node.
  if (typeof pair.key === 'string') pair.key = new Scalar(pair.key);
  if (!isScalar(pair.key)) return;
  const sub = Object.hasOwn(props, String(pair.key.value)) ? props[String(pair.key.value)] : undefined;
  if (sub === undefined) return;
  const description = sub['description'] as string | undefined;
  if (description !== undefined) pair.key.commentBefore = ` ${description}`;
  if (depth === 0 && !first) pair.key.spaceBefore = true;
  if (isSeq(pair.value) && pair.value.items.length === 0) pair.value.flow = true;
  annotate(pair.value as Node, sub, depth + 1);
}

/** Puts each key's schema description as a comment line above it. */
function annotate(node: Node | null | undefined, schema: TSchema | undefined, depth: number): void {
  if (!isMap(node)) return;
  const props = propertiesOf(schema);
  node.items.forEach((pair, i) => annotatePair(pair as Pair, props, depth, i === 0));
}

/** The object schema at a key path (`['dns64', 'cache']`), if any. */
function schemaAt(keys: readonly string[]): TSchema | undefined {
  let s: TSchema | undefined = ConfigSchema;
  for (const k of keys) s = Object.hasOwn(propertiesOf(s), k) ? propertiesOf(s)[k] : undefined;
  return s;
}

/**
 * Comments a key that a rewrite added, like the generated file does:
 * `keys[added]` is the first key of the path that was not in the document.
 */
export function annotateAdded(doc: Document, keys: readonly string[], added: number): void {
  const parentKeys = keys.slice(0, added);
  const parent = parentKeys.length === 0 ? doc.contents : doc.getIn(parentKeys, true);
  if (!isMap(parent)) return;
  const pair = parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === keys[added]);
  if (pair !== undefined) annotatePair(pair as Pair, propertiesOf(schemaAt(parentKeys)), added, false);
}

const HEADER = [
  ' sixgate configuration (YAML). Every key below has its built-in default;',
  ' edit a value and restart, or change it through the admin API (which keeps',
  ' these comments). Keys set by a command-line flag or a SIXGATE_* variable',
  ' override this file and are never written into it.',
  ' Reference: docs/configuration.md',
].join('\n');

/** Renders a config as commented YAML: a comment line above every key. */
export function renderYaml(config: Config): string {
  const doc = new Document(config);
  doc.commentBefore = HEADER;
  annotate(doc.contents as Node, ConfigSchema, 0);
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** Renders a config for a new file of the given format. */
export function renderConfigFile(config: Config, format: FileFormat): string {
  return format === 'json' ? `${JSON.stringify(config, null, 2)}\n` : renderYaml(config);
}
