/**
 * `sixgate trace [--client] [--dst] [--seconds] [--pcap file]`: follows the
 * admin API's live trace (server-sent events) and prints one line per
 * decision, or saves the packets before and after translation as a pcap.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { TraceEnd, TraceEvent } from '@sixgate/admin-api/schemas';
import { apiTarget, fail, integer, print, query, send } from '../client.js';

interface Opts {
  client?: string;
  dst?: string;
  seconds: number;
  pcap?: string;
}

function line(r: TraceEvent): string {
  const time = new Date(r.ts).toISOString().slice(11, 23);
  const parts = [time, r.source, r.direction, r.protocol, `${r.client} -> ${r.dst}`, r.decision];
  if (r.reason !== undefined) parts.push(`(${r.reason})`);
  if (r.detail !== undefined) parts.push(r.detail);
  return parts.filter((p) => p !== undefined).join(' ');
}

/** Calls `onEvent` for every complete `event:`/`data:` block of the stream. */
async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (event: string, data: unknown) => void): Promise<void> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of body) {
    pending += decoder.decode(chunk, { stream: true });
    let cut: number;
    while ((cut = pending.indexOf('\n\n')) >= 0) {
      const block = pending.slice(0, cut);
      pending = pending.slice(cut + 2);
      const fields = new Map(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trimStart()]));
      const event = fields.get('event');
      const data = fields.get('data');
      if (event !== undefined && data !== undefined) onEvent(event, JSON.parse(data) as unknown);
    }
  }
}

/** Packets in a pcap file: walks the 16-byte record headers after the 24-byte global header. */
function pcapPackets(file: Uint8Array): number {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let n = 0;
  for (let off = 24; off + 16 <= file.length; off += 16 + view.getUint32(off + 8, true)) n++;
  return n;
}

async function savePcap(cmd: Command, path: string, q: string, opts: Opts): Promise<void> {
  const res = await send(cmd, 'GET', `/api/v1/trace${q}`, { timeoutMs: (opts.seconds + 30) * 1000 });
  const file = new Uint8Array(await res.arrayBuffer());
  try {
    await writeFile(path, file);
  } catch (err) {
    fail(cmd, `cannot write ${path}: ${(err as Error).message}`);
  }
  print(cmd, `wrote ${pcapPackets(file)} packets (${file.length} bytes) to ${path}`);
}

export function register(program: Command): void {
  program
    .command('trace')
    .description('live trace of translator and DNS64 decisions (admin API)')
    .option('--client <addr|cidr>', 'only this client address or prefix')
    .option('--dst <addr|cidr>', 'only this destination address or prefix')
    .option('--seconds <n>', 'how long to trace (1-300)', integer, 10)
    .option('--pcap <file>', 'save the packets before and after translation to a pcap file instead')
    .action(async (opts: Opts, cmd: Command) => {
      const format = opts.pcap === undefined ? undefined : 'pcap';
      const q = query({ client: opts.client, dst: opts.dst, seconds: opts.seconds, format });
      if (opts.pcap !== undefined) return savePcap(cmd, opts.pcap, q, opts);
      const res = await send(cmd, 'GET', `/api/v1/trace${q}`, { timeoutMs: (opts.seconds + 30) * 1000 });
      if (res.body === null) return fail(cmd, 'the admin API sent no trace stream');
      const json = apiTarget(cmd).json;
      let end: TraceEnd | undefined;
      await readEvents(res.body, (event, data) => {
        if (event === 'record') print(cmd, json ? JSON.stringify(data) : line(data as TraceEvent));
        else if (event === 'end') end = data as TraceEnd;
      });
      if (end === undefined) return fail(cmd, 'the trace stream ended early');
      if (!json) print(cmd, `${end.records} records${end.dropped > 0 ? `, ${end.dropped} dropped (reading too slowly)` : ''}; ended: ${end.reason}`);
    });
}
