/**
 * The DNS64 resolver: cache, then the RFC 6147 steps of synthesize.ts, with
 * the upstream injected. Transport-free: takes a parsed query and returns the
 * full answer bytes; the server decides about truncation.
 */
import type { DecodedPacket } from 'dns-packet';
import type { Nat64Prefix } from '@sixgate/addressing';
import { ResponseCache, questionHash, readdress, sameQuestion } from './cache.js';
import { PARALLEL_A_AUTO_MS, type ResolvedDns64Options } from './config.js';
import { Dns64Error } from './errors.js';
import { IntMap } from './int-map.js';
import { ipv4onlyAnswer } from './ipv4only.js';
import { decodeMessage, encodeResponse, rcodeOf, responseFlags, soaOf, withoutOpt, type ResponseDraft } from './message.js';
import type { Dns64Counters } from './metrics.js';
import { applyPolicy } from './policy.js';
import { classifyReverse, inAddrName, reverseCname, reverseNegative } from './reverse.js';
import { shouldIntercept, shouldSynthesize, synthesize, type Intercept } from './synthesize.js';
import type { Upstream, UpstreamDone } from './upstream.js';
import { AAAA_DECODE, AAAA_FORWARD, AAAA_SYNTHESIZE, aaaaVerdict, forwardAnswer, negativeTtlCap, readAnswer, synthesizeInPlace, type AnswerLayout } from './answer-wire.js';
import { FLAG, RCODE, TYPE, cacheVariant, encodeOpt, headerOnlyResponse, replaceOpt, walkRecords, type ParsedQuery, type QueryProbe } from './wire.js';

/** EDNS Extended DNS Error 29, "Synthesized" (RFC 8914 §4, IANA registry). */
export const EDE_SYNTHESIZED = 29;
/** UDP payload size we advertise (DNS flag day 2020). */
export const EDNS_UDP_SIZE = 1232;

/** What happened to one query (for traces and counters). */
export interface Resolution {
  readonly wire: Buffer;
  readonly decision: Intercept | 'cache';
  readonly synthesized: boolean;
}

/** Receives a built answer or the error that prevented it, once. */
type BuildDone = (err: unknown, built?: Built) => void;

/** A miss being resolved: its question (in the query's own bytes) and the identical questions that wait for its answer. */
interface Inflight {
  readonly raw: Uint8Array;
  readonly questionEnd: number;
  readonly variant: number;
  /** Made when the first identical question comes. */
  waiters: BuildDone[] | null;
}

interface Built {
  wire: Buffer;
  synthesized: boolean;
  embedded: readonly number[];
  prefixDependent: boolean;
  /** Answered in place of a synthesis while suspended: never cached. */
  suspended?: boolean;
}

/**
 * The A answer of a question sent together with the AAAA question
 * (`parallelA`): kept until the AAAA step wants it, or dropped with this
 * object when the AAAA answer is returned as it is.
 */
class EarlyA {
  #settled = false;
  #err: unknown;
  #wire: Buffer | undefined;
  #then: ((err: unknown, wire: Buffer | undefined) => void) | undefined;

  /** The callback for the upstream's answer. */
  readonly settle = (err: unknown, wire: Buffer | undefined): void => {
    this.#settled = true;
    this.#err = err;
    this.#wire = wire;
    const then = this.#then;
    this.#then = undefined;
    then?.(err, wire);
  };

  /** Hands the answer to `fn` now if it is here, else when it arrives (once). */
  then(fn: (err: unknown, wire: Buffer | undefined) => void): void {
    if (this.#settled) fn(this.#err, this.#wire);
    else this.#then = fn;
  }
}

/**
 * Negative TTL of the NODATA answers given while synthesis is suspended: short,
 * so clients ask again soon after the translator is back (RFC 2308 §5: the
 * SOA's TTL and MINIMUM both capped).
 */
export const SUSPENDED_NEGATIVE_TTL = 5;

/** The upstream round trip is the shortest AAAA answer time in this window or the one before (ms). */
const RTT_WINDOW_MS = 10_000;

/** Resolves queries: cache, local data, upstream, synthesis, per-client policy. */
export class Dns64Resolver {
  readonly cache: ResponseCache;
  /** True while the translator cannot carry traffic: answer as if no prefix existed. */
  #suspended = false;
  /**
   * Misses being resolved, by question hash (the cache's): identical
   * questions share one upstream lookup. A question whose hash is taken by
   * another question is resolved on its own.
   */
  readonly #inflight = new IntMap<Inflight>();
  /** The clock of the round-trip measurement (ms, sub-millisecond where the runtime has it). */
  readonly #rttNow: () => number;
  /** Shortest AAAA answer time (ms) of the current window, of the one before, and when the current one began. */
  #rttCur = Infinity;
  #rttPrev = Infinity;
  #rttSince = -Infinity;

  constructor(
    private opts: ResolvedDns64Options,
    private upstream: Upstream,
    private readonly counters: Dns64Counters,
    now: () => number,
    rttNow: () => number = now,
  ) {
    this.cache = new ResponseCache(opts.cache, now);
    this.#rttNow = rttNow;
  }

  /**
   * The upstream round trip as the resolver sees it (ms): the shortest time
   * an AAAA question took to be answered over the last 10–20 s. A minimum,
   * so answers that waited in a queue (ours under load, or the upstream's
   * own lookups) do not count; Infinity before the first answer.
   */
  get upstreamRttMs(): number {
    return Math.min(this.#rttCur, this.#rttPrev);
  }

  /** Whether a AAAA miss asks A at once now (`parallelA`; DO=1 and suspension aside). */
  get parallelA(): boolean {
    const mode = this.opts.parallelA;
    return mode === 'always' || (mode === 'auto' && this.upstreamRttMs >= PARALLEL_A_AUTO_MS);
  }

  #sampleRtt(sentAt: number): void {
    const now = this.#rttNow();
    if (now - this.#rttSince >= RTT_WINDOW_MS) {
      this.#rttPrev = this.#rttCur;
      this.#rttCur = Infinity;
      this.#rttSince = now;
    }
    const rtt = now - sentAt;
    if (rtt < this.#rttCur) this.#rttCur = rtt;
  }

  /** Replaces the options; a prefix change flushes what depended on the old one. */
  setOptions(opts: ResolvedDns64Options): void {
    const prefixChanged = opts.prefix.text !== this.opts.prefix.text;
    const synthesisChanged = JSON.stringify([opts.exclude, opts.noSynthesis, opts.ignoreAaaa, opts.wkpStrict, opts.synthesizeOnError])
      !== JSON.stringify([this.opts.exclude, this.opts.noSynthesis, this.opts.ignoreAaaa, this.opts.wkpStrict, this.opts.synthesizeOnError]);
    this.opts = opts;
    this.cache.setLimits(opts.cache);
    if (synthesisChanged) this.cache.flush();
    else if (prefixChanged) this.cache.flushPrefixDependent();
  }

  /**
   * Suspends (or resumes) synthesis while the translator cannot carry traffic:
   * a name with only A records gets NODATA with a short negative TTL, real AAAA
   * records are kept, nothing is cached meanwhile. Suspending flushes the cached
   * answers that depend on the prefix, so no synthesized answer is served from
   * the cache either. Never SERVFAIL: clients fall back to what they have.
   */
  setSuspended(on: boolean): void {
    if (on === this.#suspended) return;
    this.#suspended = on;
    if (on) this.cache.flushPrefixDependent();
  }

  get suspended(): boolean {
    return this.#suspended;
  }

  /** Replaces the upstream (after an upstream list change). */
  setUpstream(upstream: Upstream): void {
    this.upstream = upstream;
  }

  /** The prefix in use. */
  get prefix(): Nat64Prefix {
    return this.opts.prefix;
  }

  /** The cached answer, synchronously, or undefined on a miss. */
  fromCache(raw: Uint8Array, q: ParsedQuery, client6: Uint8Array | undefined): Buffer | undefined {
    const e = this.cache.lookup(raw, q);
    if (e < 0) {
      this.counters.cacheMisses++;
      return undefined;
    }
    this.counters.cacheHits++;
    const synthesized = this.cache.embeddedCount(e) > 0;
    if (synthesized) this.counters.synthesized++;
    const out = this.cache.render(e, raw);
    return synthesized && this.opts.wouldTranslate ? this.#policy(out, this.cache.embeddedOf(e), client6) : out;
  }

  /**
   * Fast path, step 1: the cache slot for the query at `buf[off…]` that
   * `probeQuery` accepted into `p`, when its answer can go out as stored (no
   * per-client policy to apply, fits the client's UDP buffer and `outCap`);
   * else -1 and nothing is counted (the query takes the full path).
   */
  cachedFor(buf: Uint8Array, off: number, p: QueryProbe, now: number, outCap: number): number {
    const qOff = off + 12;
    const e = this.cache.find(buf, qOff, p.qLen, p.variant, questionHash(buf, qOff, qOff + p.qLen, p.variant, this.cache.seed), now);
    if (e < 0) return -1;
    const len = this.cache.wireLength(e);
    if (len > p.udpLimit || len > outCap || (this.cache.embeddedCount(e) > 0 && this.opts.wouldTranslate)) return -1;
    return e;
  }

  /** Fast path, step 2: counts the hit and writes the answer in cache slot `e` to the query at `query[qOff…]` into `out[outOff…]`; returns its length. */
  hitInto(e: number, query: Uint8Array, qOff: number, out: Uint8Array, outOff: number, now: number): number {
    this.counters.cacheHits++;
    if (this.cache.embeddedCount(e) > 0) this.counters.synthesized++;
    return this.cache.renderInto(e, query, qOff, out, outOff, now);
  }

  /** Resolves a query that missed the cache. Never rejects. */
  resolve(raw: Uint8Array, q: ParsedQuery, client6: Uint8Array | undefined): Promise<Resolution> {
    return new Promise((done) => this.resolveWith(raw, q, client6, done));
  }

  /**
   * `resolve` with a callback, called once (synchronously for local data):
   * the miss path's form, one closure per step instead of a promise chain.
   */
  resolveWith(raw: Uint8Array, q: ParsedQuery, client6: Uint8Array | undefined, done: (r: Resolution) => void): void {
    const decision = shouldIntercept(q, this.opts);
    let finished = false;
    const finish: BuildDone = (err, built) => {
      // Once only: a callback that throws inside a step must not make that step report twice.
      if (finished) return;
      finished = true;
      if (err !== undefined || built === undefined) {
        // Upstream failures and anything unexpected (e.g. an upstream record dns-packet cannot re-encode).
        this.counters.servfail++;
        return done({ wire: headerOnlyResponse(raw, q, RCODE.servFail), decision, synthesized: false });
      }
      let wire = built.wire;
      try {
        if (built.synthesized) this.counters.synthesized++;
        if (built.embedded.length > 0 && this.opts.wouldTranslate) wire = this.#policy(built.wire, built.embedded, client6);
      } catch {
        this.counters.servfail++;
        return done({ wire: headerOnlyResponse(raw, q, RCODE.servFail), decision, synthesized: false });
      }
      done({ wire, decision, synthesized: built.synthesized });
    };
    if (decision === 'local') return this.#build(decision, raw, q, finish);
    const variant = cacheVariant(q.edns !== undefined, q.edns?.dnssecOk === true, q.cd);
    const hash = questionHash(raw, 12, q.questionEnd, variant, this.cache.seed);
    const other = this.#inflight.get(hash);
    if (other !== undefined && other.variant === variant && other.questionEnd === q.questionEnd && sameQuestion(other.raw, 12, raw, 12, q.questionEnd - 12)) {
      // An identical question is being resolved: its answer, readdressed to this query.
      (other.waiters ??= []).push((err, shared) => {
        if (err !== undefined || shared === undefined) return finish(err ?? new Error('no answer'));
        let built: Built;
        try {
          built = { ...shared, wire: readdress(shared.wire, raw, q) };
        } catch (e) {
          return finish(e);
        }
        finish(undefined, built);
      });
      return;
    }
    const mine: Inflight | undefined = other === undefined ? { raw, questionEnd: q.questionEnd, variant, waiters: null } : undefined;
    if (mine !== undefined) this.#inflight.set(hash, mine);
    let reported = false;
    this.#build(decision, raw, q, (err, built) => {
      if (reported) return;
      reported = true;
      if (mine !== undefined) this.#inflight.delete(hash);
      if (err === undefined && built !== undefined && !this.#suspended && !built.suspended) {
        try {
          this.cache.put(built.wire, q.questionEnd, variant, { prefixDependent: built.prefixDependent, embedded: built.embedded });
        } catch (e) {
          err = e;
        }
      }
      finish(err, built);
      if (mine?.waiters) for (const w of mine.waiters) w(err, built);
    });
  }

  #policy(wire: Buffer, embedded: readonly number[], client6: Uint8Array | undefined): Buffer {
    const r = applyPolicy(wire, embedded, client6, this.opts.wouldTranslate!);
    this.counters.policyDenied += r.denied;
    return r.wire;
  }

  /** Builds the answer and hands it to `done` once; never throws (errors go to `done`). */
  #build(decision: Intercept, raw: Uint8Array, q: ParsedQuery, done: BuildDone): void {
    try {
      switch (decision) {
        case 'local':
          return done(undefined, this.#local(raw, q));
        case 'pass':
          return this.#lookup(q.qname, q.qtype, q, (err, wire) => {
            if (err !== undefined) return done(err);
            try {
              done(undefined, { wire: this.#passThrough(wire!, raw, q), synthesized: false, embedded: [], prefixDependent: false });
            } catch (e) {
              done(e);
            }
          });
        case 'ptr':
          this.#reverse(raw, q).then((b) => done(undefined, b), (e: unknown) => done(e));
          return;
        case 'aaaa':
        case 'aaaa-from-a':
          return this.#aaaa(decision, raw, q, done);
      }
    } catch (e) {
      done(e);
    }
  }

  #local(raw: Uint8Array, q: ParsedQuery): Built {
    this.counters.ipv4only++;
    const { draft, synthesized } = ipv4onlyAnswer(q, this.opts.prefix);
    if (synthesized && this.#suspended) {
      // RFC 7050 discovery finds no prefix while the translator is down.
      this.counters.synthesisSuspended++;
      return this.#encode({ ...draft, answers: [] }, raw, q, undefined, true);
    }
    return this.#encode(draft, raw, q, synthesized ? [0xc00000aa, 0xc00000ab] : undefined, true);
  }

  #encode(draft: ResponseDraft, raw: Uint8Array, q: ParsedQuery, embedded: readonly number[] | undefined, prefixDependent: boolean): Built {
    const synthesized = embedded !== undefined;
    // RFC 8914: EDE 29 marks synthesized answers, only for clients that speak EDNS.
    const opt = q.edns === undefined ? undefined : encodeOpt(EDNS_UDP_SIZE, q.edns.dnssecOk, 0, synthesized ? EDE_SYNTHESIZED : undefined);
    const out = encodeResponse(draft, raw, q, opt);
    return { wire: out, synthesized, embedded: embedded ?? [], prefixDependent };
  }

  /** One upstream question; `done(err)` only for a failure that is not the upstream's (then SERVFAIL). */
  #lookup(name: string, type: number, q: ParsedQuery, done: UpstreamDone): void {
    const uq = { name, type, qclass: q.qclass, dnssecOk: q.edns?.dnssecOk === true, checkingDisabled: q.cd };
    const up = this.upstream;
    if (up.query !== undefined) up.query(uq, done);
    else up.lookup(uq).then((wire) => done(undefined, wire), (e: unknown) => done(e));
  }

  /** `#lookup` for the PTR step, where an upstream failure (Dns64Error) is an answer of its own: undefined. */
  async #ask(name: string, type: number, q: ParsedQuery): Promise<DecodedPacket | undefined> {
    const wire = await new Promise<Buffer | undefined>((ok, fail) => this.#lookup(name, type, q, (err, w) => (err === undefined || err instanceof Dns64Error ? ok(w) : fail(err))));
    return wire === undefined ? undefined : this.#decode(wire);
  }

  /** dns-packet's reading of an upstream answer; undefined (and counted) when it is malformed. */
  #decode(wire: Buffer): DecodedPacket | undefined {
    const p = decodeMessage(wire);
    if (p === undefined) this.counters.upstreamErrors++;
    return p;
  }

  /**
   * RFC 6147 §5.1 for a AAAA question: the AAAA answer (unless ignoreAaaa),
   * then the A answer when synthesizing. The common shapes are read in place
   * (answer-wire.ts); the rest is decoded and goes through synthesize.ts.
   */
  #aaaa(decision: 'aaaa' | 'aaaa-from-a', raw: Uint8Array, q: ParsedQuery, done: BuildDone): void {
    if (decision === 'aaaa-from-a') return this.#fromA(raw, q, undefined, undefined, undefined, done);
    // RFC 6147 §5.1.8: the A question MAY go out with the AAAA question, so a
    // name to synthesize waits for one upstream round trip, not two. Not with
    // DO=1: §5.5 has the AAAA negative answer validated before A is asked.
    let early: EarlyA | undefined;
    let aaaaBack = false;
    const sentAt = this.#rttNow();
    this.#lookup(q.qname, TYPE.AAAA, q, (err, wire) => {
      aaaaBack = true;
      // An upstream failure (Dns64Error) is an answer of its own: none.
      if (err instanceof Dns64Error) wire = undefined;
      else if (err !== undefined) return done(err);
      if (wire !== undefined) this.#sampleRtt(sentAt);
      try {
        let negWire: Buffer | undefined;
        let negLayout: AnswerLayout | undefined;
        let negative: DecodedPacket | undefined;
        const L = wire === undefined ? undefined : readAnswer(wire, raw, q, TYPE.AAAA);
        const verdict = L === undefined ? AAAA_DECODE : aaaaVerdict(wire!, L, this.opts.exclude, this.opts.synthesizeOnError);
        const forwarded = verdict === AAAA_FORWARD ? forwardAnswer(wire!, L!, raw, q) : undefined;
        if (forwarded !== undefined) return done(undefined, { wire: forwarded, synthesized: false, embedded: [], prefixDependent: false });
        if (verdict === AAAA_SYNTHESIZE) {
          negWire = wire;
          negLayout = L;
        } else if (verdict === AAAA_DECODE || verdict === AAAA_FORWARD) {
          const d = shouldSynthesize(q, wire === undefined ? undefined : this.#decode(wire), this.opts);
          if (d.kind === 'fail') return done(new Dns64Error('ERR_UPSTREAM_FAILED', 'AAAA lookup failed and synthesizeOnError is off'));
          this.counters.excluded += d.excluded;
          if (d.kind === 'return') return done(undefined, this.#encode(d.draft, raw, q, undefined, false));
          negative = d.negative;
        }
        if (this.#suspended) return done(undefined, this.#suspendedNodata(raw, q, negative ?? (negWire === undefined ? undefined : this.#decode(negWire))));
        this.#fromA(raw, q, negWire, negLayout, negative, done, early);
      } catch (e) {
        done(e);
      }
    });
    // Asked second, so an AAAA answer given at once (a local failure) never waits on it.
    if (!aaaaBack && this.parallelA && !this.#suspended && q.edns?.dnssecOk !== true) {
      early = new EarlyA();
      this.#lookup(q.qname, TYPE.A, q, early.settle);
    }
  }

  /**
   * The A step: `negWire`/`negLayout` is the negative AAAA answer read in
   * place, `negative` the decoded one (only one of them is given; neither
   * after a failure counted as empty or with ignoreAaaa).
   */
  #fromA(raw: Uint8Array, q: ParsedQuery, negWire: Buffer | undefined, negLayout: AnswerLayout | undefined, negative: DecodedPacket | undefined, done: BuildDone, early?: EarlyA): void {
    if (this.#suspended) return done(undefined, this.#suspendedNodata(raw, q, negative));
    const withA = (err: unknown, wire: Buffer | undefined): void => {
      if (err instanceof Dns64Error) wire = undefined;
      else if (err !== undefined) return done(err);
      try {
        // §5.1.6: a failed A query is the basis of the reply; no answer at all is SERVFAIL.
        if (wire === undefined) return done(new Dns64Error('ERR_UPSTREAM_FAILED', 'A lookup failed'));
        if (negative === undefined) {
          const L = readAnswer(wire, raw, q, TYPE.A);
          const s = L === undefined ? undefined : synthesizeInPlace(wire, L, raw, q, negativeTtlCap(negWire, negLayout), negLayout?.ad === true, this.opts, negWire, negLayout);
          if (s !== undefined) {
            const synthesized = s.embedded.length > 0;
            return done(undefined, { wire: s.wire, synthesized, embedded: s.embedded, prefixDependent: true });
          }
        }
        const a = this.#decode(wire);
        if (a === undefined) return done(new Dns64Error('ERR_UPSTREAM_FAILED', 'A lookup failed'));
        const neg = negative ?? (negWire === undefined ? undefined : decodeMessage(negWire));
        const s = synthesize(q, neg, a, this.opts);
        this.counters.notEmbeddable += s.notEmbeddable;
        const embedded = s.embedded.length > 0 ? s.embedded : undefined;
        done(undefined, this.#encode(s.draft, raw, q, embedded, true));
      } catch (e) {
        done(e);
      }
    };
    if (early !== undefined) early.then(withA);
    else this.#lookup(q.qname, TYPE.A, q, withA);
  }

  /** NODATA as the upstream gave it (its SOA, negative TTL capped), in place of a synthesized answer. */
  #suspendedNodata(raw: Uint8Array, q: ParsedQuery, negative: DecodedPacket | undefined): Built {
    this.counters.synthesisSuspended++;
    const cap = SUSPENDED_NEGATIVE_TTL;
    const authorities = withoutOpt(negative?.authorities).map((r) => {
      if (r.type !== 'SOA') return r;
      const soa = r.data as { minimum: number };
      return { ...r, ttl: Math.min(r.ttl ?? cap, cap), data: { ...soa, minimum: Math.min(soa.minimum, cap) } } as typeof r;
    });
    const answers = withoutOpt(negative?.answers).filter((r) => r.type === 'CNAME' || r.type === 'DNAME');
    const built = this.#encode({ flags: responseFlags(q, RCODE.noError, false), answers, authorities, additionals: [] }, raw, q, undefined, true);
    return { ...built, suspended: true };
  }

  async #reverse(raw: Uint8Array, q: ParsedQuery): Promise<Built> {
    const r = classifyReverse(q.qname, this.opts.prefix, this.opts.wkpStrict);
    if (r.kind !== 'full') return this.#encode(reverseNegative(q, this.opts.prefix, r.kind), raw, q, undefined, true);
    const target = inAddrName(r.v4);
    let ptr: DecodedPacket | undefined;
    let answers;
    if (target.endsWith('.0.0.192.in-addr.arpa') && (r.v4 === 0xc00000aa || r.v4 === 0xc00000ab)) {
      // The ipv4only.arpa reverse names are local data (RFC 8880 §7.2).
      answers = ipv4onlyAnswer({ ...q, qname: target }, this.opts.prefix).draft.answers;
    } else {
      ptr = await this.#ask(target, TYPE.PTR, q);
      if (ptr === undefined) throw new Dns64Error('ERR_UPSTREAM_FAILED', 'PTR lookup failed');
      answers = withoutOpt(ptr.answers);
    }
    // The CNAME lives as long as what it leads to (pdns#13043): PTR TTL, else the negative SOA, else 600.
    const soa = soaOf(ptr);
    const ttl = answers.length > 0 ? Math.min(...answers.map((x) => x.ttl ?? 0)) : soa ? Math.min(soa.ttl, soa.minimum) : 600;
    const rcode = ptr === undefined ? RCODE.noError : rcodeOf(ptr);
    const draft: ResponseDraft = {
      flags: responseFlags(q, rcode),
      answers: [reverseCname(q.qname, target, ttl), ...answers],
      authorities: withoutOpt(ptr?.authorities),
      additionals: withoutOpt(ptr?.additionals),
    };
    const built = this.#encode(draft, raw, q, undefined, true);
    return { ...built, synthesized: true };
  }

  /** §5.3.3: anything else is relayed unchanged; only ID, question case and OPT are ours. */
  #passThrough(wire: Buffer, raw: Uint8Array, q: ParsedQuery): Buffer {
    const spans = walkRecords(wire);
    const opt = q.edns === undefined ? undefined : encodeOpt(EDNS_UDP_SIZE, q.edns.dnssecOk);
    const out = spans === undefined ? undefined : replaceOpt(wire, spans, opt);
    if (out === undefined) {
      const p = decodeMessage(wire);
      if (p === undefined) throw new Dns64Error('ERR_UPSTREAM_FAILED', 'upstream answer is malformed');
      const draft = { flags: responseFlags(q, rcodeOf(p), p.flag_ad), answers: withoutOpt(p.answers), authorities: withoutOpt(p.authorities), additionals: withoutOpt(p.additionals) };
      return encodeResponse(draft, raw, q, opt);
    }
    out.writeUInt16BE(q.id, 0);
    // RFC 6840 §5.8: AD only for clients that asked for it (DO or AD in the query).
    const keepAd = q.edns?.dnssecOk === true || (q.flags & FLAG.ad) !== 0;
    const flags = (out.readUInt16BE(2) & ~(FLAG.rd | FLAG.cd | (keepAd ? 0 : FLAG.ad))) | (q.flags & (FLAG.rd | FLAG.cd)) | FLAG.ra;
    out.writeUInt16BE(flags, 2);
    out.set(raw.subarray(12, q.questionEnd), 12);
    return out;
  }
}
