/**
 * The upstream port: how the resolver asks a recursive resolver. The real
 * implementation is `UdpTcpUpstream` in src/io/; tests inject a scripted fake.
 */

/** One question for an upstream resolver. `name` is in `parseQuery` form. */
export interface UpstreamQuestion {
  readonly name: string;
  readonly type: number;
  readonly qclass: number;
  /** Ask with EDNS DO=1 (RFC 3225). */
  readonly dnssecOk: boolean;
  /** Ask with CD=1 (RFC 4035 §3.2.2). */
  readonly checkingDisabled: boolean;
}

/** Health of one upstream, for stats. */
export interface UpstreamHealth {
  readonly address: string;
  readonly port: number;
  readonly queries: number;
  readonly failures: number;
  readonly timeouts: number;
  readonly consecutiveFailures: number;
  /** True while the upstream is skipped after repeated failures. */
  readonly down: boolean;
}

/** Called once with the raw response, or with the error (a Dns64Error for upstream failures). */
export type UpstreamDone = (err: unknown, wire?: Buffer) => void;

/** Asks upstream resolvers; resolves with the raw response (its own ID), rejects with Dns64Error. */
export interface Upstream {
  lookup(q: UpstreamQuestion): Promise<Buffer>;
  /** `lookup` with a callback, when the implementation has one (the resolver prefers it: no promise per query). */
  query?(q: UpstreamQuestion, done: UpstreamDone): void;
  health(): UpstreamHealth[];
  close?(): void;
}
