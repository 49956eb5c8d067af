/**
 * Writing changes back (SPEC §3): only keys whose value differs from what
 * the file already yields are touched, pinned keys never, and the YAML
 * document is edited in place so comments, key order and styles survive.
 */
import { isCollection, isScalar, type Document, type Node } from 'yaml';
import { writeFileAtomic, type AtomicWriteOptions } from './atomic.js';
import { ConfigError } from './errors.js';
import { annotateAdded, detectFormat, parseConfigText, renderConfigFile, type ParsedFile } from './file-format.js';
import { readConfigFile } from './loader.js';
import { deepEqual, deepMerge, getPath, isRecord, leafPaths, setPath } from './paths.js';
import type { Config } from './schema.js';
import { defaultConfig, validateConfig, type Pinned } from './validate.js';

/** One change to the file: set `value` at `path`, or delete the key when undefined. */
interface Edit {
  readonly path: string;
  readonly value: unknown;
}

function isPinned(path: string, pinned: Pinned): boolean {
  return Object.keys(pinned).some((k) => path === k || path.startsWith(`${k}.`) || k.startsWith(`${path}.`));
}

/** The keys where `next` differs from what the file yields today, pinned keys left out. */
export function fileEdits(fileData: Record<string, unknown>, next: Config, pinned: Pinned): Edit[] {
  const current = deepMerge(defaultConfig(), fileData) as Record<string, unknown>;
  const paths = new Set([...leafPaths(current), ...leafPaths(next as unknown as Record<string, unknown>)]);
  const edits: Edit[] = [];
  for (const path of paths) {
    if (isPinned(path, pinned)) continue;
    const value = getPath(next, path);
    if (!deepEqual(value, getPath(current, path))) edits.push({ path, value });
  }
  return edits;
}

function editYaml(doc: Document, edit: Edit): void {
  const keys = edit.path.split('.');
  if (edit.value === undefined) {
    doc.deleteIn(keys);
    return;
  }
  const old = doc.getIn(keys, true) as Node | undefined;
  if (isScalar(old) && (edit.value === null || typeof edit.value !== 'object')) {
    old.value = edit.value; // keeps the node's comments and quoting style
    return;
  }
  const node = doc.createNode(edit.value) as Node;
  if (old !== undefined && node !== null) {
    node.comment = old.comment;
    node.commentBefore = old.commentBefore;
    if (isCollection(old) && isCollection(node)) node.flow = old.flow;
  }
  const added = old === undefined ? keys.findIndex((_, i) => !doc.hasIn(keys.slice(0, i + 1))) : -1;
  doc.setIn(keys, node);
  if (added >= 0) annotateAdded(doc, keys, added);
}

function editJson(data: Record<string, unknown>, edit: Edit): void {
  if (edit.value !== undefined) {
    setPath(data, edit.path, structuredClone(edit.value));
    return;
  }
  const keys = edit.path.split('.');
  const parent = getPath(data, keys.slice(0, -1).join('.'));
  const target = keys.length === 1 ? data : parent;
  if (isRecord(target)) delete target[keys.at(-1)!];
}

/** The new file text for `next`, starting from the parsed file. */
export function renderEdited(parsed: ParsedFile, next: Config, pinned: Pinned): { text: string; changed: number } {
  const edits = fileEdits(parsed.data, next, pinned);
  if (parsed.format === 'json') {
    const data = structuredClone(parsed.data);
    for (const e of edits) editJson(data, e);
    return { text: `${JSON.stringify(data, null, 2)}\n`, changed: edits.length };
  }
  const doc = parsed.doc!.clone();
  for (const e of edits) editYaml(doc, e);
  return { text: doc.toString({ lineWidth: 0, flowCollectionPadding: false }), changed: edits.length };
}

/** Options for `saveConfig`. */
export type SaveConfigOptions = Pick<AtomicWriteOptions, 'beforeRename'>;

/**
 * Writes `next`'s non-pinned values into `file`, atomically. Validates first
 * and re-reads the result before the rename, so an invalid or mis-edited file
 * is never written. Returns the number of keys changed (0 = file untouched).
 */
export async function saveConfig(file: string, next: Config, pinned: Pinned = {}, options: SaveConfigOptions = {}): Promise<number> {
  validateConfig(next, pinned);
  const existing = await readConfigFile(file);
  const format = existing?.format ?? detectFormat(file);
  // A missing file starts as the commented defaults, so pinned values stay out of it too.
  const parsed = existing ?? parseConfigText(renderConfigFile(defaultConfig(), format), format, file);
  const { text, changed } = renderEdited(parsed, next, pinned);
  if (changed === 0 && existing !== undefined) return 0;
  const check = parseConfigText(text, parsed.format, file);
  if (fileEdits(check.data, next, pinned).length !== 0) {
    throw new ConfigError('ERR_CONFIG_IO', [`${file}: the rewritten file would not read back as the new config (not written)`]);
  }
  // A new file holding a token is private; an existing one keeps its mode, owner and symlink (writeFileAtomic).
  await writeFileAtomic(file, text, { mode: next.api.token === undefined ? 0o644 : 0o600, ...options });
  return changed;
}
