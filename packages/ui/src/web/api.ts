/**
 * The admin API from the page: the bearer token is asked once and kept in
 * sessionStorage (gone when the tab closes; never in a URL or a cookie). A 401
 * forgets it and brings the token prompt back. Mutations send If-Match with
 * the version the page last read, so a change made meanwhile by someone else
 * is refused (412) instead of overwritten.
 */
const KEY = 'sixgate.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let onUnauthorized: () => void = () => undefined;

/** What to do when the API answers 401 (the app shows the token prompt). */
export function setUnauthorizedHandler(f: () => void): void {
  onUnauthorized = f;
}

export function token(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setToken(t: string | null): void {
  if (t === null) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, t);
}

/** The config version of the last config read (the ETag without quotes); mutations send it as If-Match. */
let version: string | null = null;

export function configVersion(): string | null {
  return version;
}

export interface Reply<T> {
  status: number;
  data: T;
}

async function errorOf(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { message?: string };
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // not JSON: keep the status line
  }
  if (res.status === 412) message = `Someone changed the configuration meanwhile; nothing was changed. Reload and try again. (${message})`;
  return new ApiError(res.status, message);
}

/** Calls the API; throws ApiError for any status ≥ 400 (401 also calls the handler). */
export async function call<T>(method: string, path: string, body?: unknown, opts: { write?: boolean; signal?: AbortSignal; okStatus?: number[] } = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = {};
  const t = token();
  if (t !== null) headers['authorization'] = `Bearer ${t}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (opts.write && version !== null) headers['if-match'] = `"${version}"`;
  const res = await fetch(path, { method, headers, cache: 'no-store', ...(body === undefined ? {} : { body: JSON.stringify(body) }), ...(opts.signal ? { signal: opts.signal } : {}) });
  const etag = res.headers.get('etag');
  if (etag !== null && /^"\d+"$/.test(etag)) version = etag.slice(1, -1);
  if (res.status === 401) {
    setToken(null);
    onUnauthorized();
    throw await errorOf(res);
  }
  if (res.status >= 400 && !(opts.okStatus ?? []).includes(res.status)) throw await errorOf(res);
  const text = await res.text();
  return { status: res.status, data: (text === '' ? undefined : JSON.parse(text)) as T };
}

export const get = <T>(path: string, signal?: AbortSignal): Promise<T> => call<T>('GET', path, undefined, signal ? { signal } : {}).then((r) => r.data);

let paths: Promise<Set<string>> | undefined;

/** The API's routes, from its OpenAPI document (open, read once per page load). */
function knownPaths(): Promise<Set<string>> {
  paths ??= fetch('/docs/json', { cache: 'no-store' })
    .then((r) => (r.ok ? (r.json() as Promise<{ paths?: Record<string, unknown> }>) : {}))
    .then((doc) => new Set(Object.keys((doc as { paths?: Record<string, unknown> }).paths ?? {})))
    .catch(() => new Set<string>());
  return paths;
}

/**
 * GET of an optional feature: undefined when this appliance has no such
 * endpoint (asked of the OpenAPI document first, so the page never requests
 * a missing route) or it fails.
 */
export async function getOptional<T>(path: string): Promise<T | undefined> {
  if (!(await knownPaths()).has(path)) return undefined;
  try {
    return (await call<T>('GET', path)).data;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) throw e;
    return undefined;
  }
}

/** A mutation with If-Match. */
export const write = <T>(method: string, path: string, body?: unknown): Promise<T> => call<T>(method, path, body, { write: true }).then((r) => r.data);

/** Fetches a binary download (pcap) with the token; returns the blob. */
export async function download(path: string, signal?: AbortSignal): Promise<Blob> {
  const t = token();
  const res = await fetch(path, { headers: t === null ? {} : { authorization: `Bearer ${t}` }, cache: 'no-store', ...(signal ? { signal } : {}) });
  if (res.status === 401) {
    setToken(null);
    onUnauthorized();
  }
  if (!res.ok) throw await errorOf(res);
  return res.blob();
}

/**
 * Reads a server-sent event stream with the token (EventSource cannot send
 * headers). Calls `onEvent(name, data)` per event until the stream ends or
 * `signal` aborts.
 */
export async function stream(path: string, onEvent: (event: string, data: string) => void, signal: AbortSignal): Promise<void> {
  const t = token();
  const res = await fetch(path, { headers: { accept: 'text/event-stream', ...(t === null ? {} : { authorization: `Bearer ${t}` }) }, cache: 'no-store', signal });
  if (res.status === 401) {
    setToken(null);
    onUnauthorized();
  }
  if (!res.ok || res.body === null) throw await errorOf(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let end: number;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) onEvent(event, data.join('\n'));
    }
  }
}
