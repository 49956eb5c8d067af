/**
 * Optimistic concurrency for configuration writes (SPEC §7). Every config
 * read answers with the configuration version as a strong ETag (`"12"`); a
 * write may send it back in `If-Match`. The port compares it with the version
 * in effect *inside* its serialised apply, so of two writers that read the
 * same version, the second gets 412 and changes nothing (RFC 9110 §13.1.1).
 * A write without If-Match (the CLI, scripts) is applied as before.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApplyError } from './errors.js';

/** What a mutation asks of the port beyond the change itself. */
export interface WriteOptions {
  /** Apply only if the version in effect is one of these (from If-Match); absent: unconditional. */
  readonly ifMatch?: readonly number[];
}

/** The strong entity tag of a configuration version. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

const TAG = /^\s*(W\/)?"([^"]*)"\s*$/;

/**
 * Parses an If-Match header into the versions it names. `*` (or no header)
 * means "any" (undefined). Weak tags never match (RFC 9110 §13.1.1 uses the
 * strong comparison), so they are dropped; a list of only weak or unknown tags
 * therefore matches nothing and the write gets 412. A header that is not a
 * list of quoted tags is a 400.
 */
export function parseIfMatch(header: string | string[] | undefined): number[] | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header.join(',') : header;
  if (text.trim() === '*') return undefined;
  if (text.length > 1024) throw new ApplyError(400, 'If-Match is longer than 1024 characters');
  const out: number[] = [];
  for (const part of text.split(',')) {
    const m = TAG.exec(part);
    if (m === null) throw new ApplyError(400, `If-Match must be "*" or a list of quoted versions such as "12" (got ${JSON.stringify(text.slice(0, 80))})`);
    if (m[1] === undefined && /^\d{1,15}$/.test(m[2]!)) out.push(Number(m[2]));
  }
  return out;
}

/** The write options of a request (its If-Match). */
export function writeOptions(request: FastifyRequest): WriteOptions {
  const ifMatch = parseIfMatch(request.headers['if-match']);
  return ifMatch === undefined ? {} : { ifMatch };
}

/**
 * For ports: throws 412 unless `current` is one of the versions `opts`
 * names. Call it inside the serialised apply, right before reading the
 * configuration the change is built from.
 */
export function checkVersion(opts: WriteOptions | undefined, current: number): void {
  if (opts?.ifMatch === undefined || opts.ifMatch.includes(current)) return;
  const sent = opts.ifMatch.length === 0 ? 'no usable version' : `version ${opts.ifMatch.join(', ')}`;
  throw new ApplyError(412, `the configuration changed: If-Match names ${sent}, the current version is ${current}; nothing was changed (read it again, then retry)`);
}

/** Sets the ETag of the configuration version on a reply. */
export function setEtag(reply: FastifyReply, version: number): void {
  void reply.header('etag', etagOf(version));
}
