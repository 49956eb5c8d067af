/**
 * A scripted upstream for tests (STYLE §6): answers only the (name, type)
 * pairs it was given and fails loudly on anything else, so a test also
 * proves which upstream questions were (not) asked.
 */
import dnsPacket, { type Answer } from 'dns-packet';
import { Dns64Error } from './errors.js';
import type { Upstream, UpstreamHealth, UpstreamQuestion } from './upstream.js';

/** A scripted reply: records by section, rcode, flags. */
export interface FakeReply {
  rcode?: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED';
  answers?: Answer[];
  authorities?: Answer[];
  additionals?: Answer[];
  ad?: boolean;
  tc?: boolean;
}

/** What a script entry gives back. */
export type FakeScript = FakeReply | 'timeout' | ((q: UpstreamQuestion) => FakeReply | 'timeout');

const TYPE_NAMES: Record<number, string> = { 1: 'A', 5: 'CNAME', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 65: 'HTTPS', 255: 'ANY', 6: 'SOA' };
const RCODES = { NOERROR: 0, NXDOMAIN: 3, SERVFAIL: 2, REFUSED: 5 };

/** The fake. `calls` records every question asked, as `name|TYPE`. */
export class FakeUpstream implements Upstream {
  readonly calls: string[] = [];
  readonly questions: UpstreamQuestion[] = [];
  /** Questions nobody scripted; tests assert this stays empty. */
  readonly unexpected: string[] = [];
  readonly #script = new Map<string, FakeScript>();
  readonly #held = new Map<string, Promise<void>>();

  /** Scripts the reply for `name` and `type` (e.g. 'AAAA'). */
  on(name: string, type: string, reply: FakeScript): this {
    this.#script.set(`${name.toLowerCase()}|${type}`, reply);
    return this;
  }

  /** Holds the answer to `name` and `type` until the returned function is called (to order answers). */
  hold(name: string, type: string): () => void {
    let release!: () => void;
    this.#held.set(`${name.toLowerCase()}|${type}`, new Promise<void>((r) => (release = r)));
    return release;
  }

  async lookup(q: UpstreamQuestion): Promise<Buffer> {
    const type = TYPE_NAMES[q.type] ?? `UNKNOWN_${q.type}`;
    const key = `${q.name}|${type}`;
    this.calls.push(key);
    this.questions.push(q);
    const gate = this.#held.get(`${q.name.toLowerCase()}|${type}`);
    if (gate !== undefined) await gate;
    const entry = this.#script.get(key);
    if (entry === undefined) {
      this.unexpected.push(key);
      throw new Error(`FakeUpstream: unexpected question ${key}`);
    }
    const r = typeof entry === 'function' ? entry(q) : entry;
    if (r === 'timeout') throw new Dns64Error('ERR_UPSTREAM_TIMEOUT', `fake timeout for ${key}`);
    const flags = dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (r.ad ? dnsPacket.AUTHENTIC_DATA : 0)
      | (r.tc ? dnsPacket.TRUNCATED_RESPONSE : 0) | RCODES[r.rcode ?? 'NOERROR'];
    return dnsPacket.encode({
      type: 'response', id: 4242, flags,
      questions: [{ name: q.name, type: `UNKNOWN_${q.type}` as 'A', class: q.qclass === 3 ? 'CH' : 'IN' }],
      answers: r.answers ?? [], authorities: r.authorities ?? [],
      additionals: [...(r.additionals ?? []), { type: 'OPT', name: '.', udpPayloadSize: 1232, flags: q.dnssecOk ? dnsPacket.DNSSEC_OK : 0 } as Answer],
    });
  }

  health(): UpstreamHealth[] {
    return [{ address: 'fake', port: 0, queries: this.calls.length, failures: 0, timeouts: 0, consecutiveFailures: 0, down: false }];
  }
}
