/**
 * @sixgate/dns64 — RFC 6147 DNS64: pure decisions and synthesis, response
 * cache, upstream client, UDP/TCP server. Imports @sixgate/addressing only.
 */
export {
  type Dns64Options, type Dns64Input, type Dns64CacheOptions, type Dns64RateLimitOptions, type Dns64TcpOptions,
  type ResolvedDns64Options, type Endpoint, type ClientNets, type WouldTranslate,
  DNS64_DEFAULTS, validateDns64Options, parseEndpoint,
} from './config.js';
export { Dns64Error, type Dns64ErrorCode } from './errors.js';
export { type Dns64Counters, createCounters } from './metrics.js';
export {
  type Intercept, type SynthesisDecision, type SynthesisPolicy, type Synthesis,
  shouldIntercept, shouldSynthesize, synthesize, synthesizedTtl,
} from './synthesize.js';
export { classifyReverse, reverseZoneOf, inAddrName, type ReverseName } from './reverse.js';
export { ipv4onlyAnswer, isIpv4onlyName } from './ipv4only.js';
export { ResponseCache, type CacheEntry } from './cache.js';
export { RateLimiter } from './rate-limit.js';
export { Dns64Resolver, EDE_SYNTHESIZED, EDNS_UDP_SIZE, type Resolution } from './resolver.js';
export { parseQuery, type ParsedQuery, type QueryProblem, type EdnsInfo } from './wire.js';
export type { Upstream, UpstreamQuestion, UpstreamHealth } from './upstream.js';
export { UpstreamClient, type UpstreamClientOptions } from './io/upstream-client.js';
export {
  Dns64Server, type Dns64ServerDeps, type Dns64Stats, type TraceRecord, type BoundAddress,
} from './io/server.js';
export type { UdpBackend } from './io/udp.js';
export type { ClientInfo } from './io/client-cache.js';
export { resolvConfNameservers, hostClientNetworks } from './io/host.js';

import { Dns64Server, type Dns64ServerDeps } from './io/server.js';
import type { Dns64Input } from './config.js';

/** Builds a DNS64 server (not started). */
export function createDns64Server(options: Dns64Input = {}, deps: Dns64ServerDeps = {}): Dns64Server {
  return new Dns64Server(options, deps);
}
export { FakeUpstream, type FakeReply, type FakeScript } from './fake-upstream.js';
