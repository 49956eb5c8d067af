/** The shapes of the admin API the page reads (SPEC §7; mirrored, since ui imports no room). */
export type Protocol = 'tcp' | 'udp' | 'icmp';

export interface Health {
  status: 'ok' | 'degraded';
  dns64: boolean;
  nat64: boolean;
  reasons: string[];
}

export interface Stats {
  nat64: {
    packets: { '6to4': number; '4to6': number };
    bytes: { '6to4': number; '4to6': number };
    drops: Record<string, number>;
    sessions: Record<string, number>;
    bindings: number;
    pool4: { used: number; size: number; percent: number };
  };
  dns64: {
    queries: number;
    synthesized: number;
    cacheHits: number;
    cacheMisses: number;
    upstreamErrors: number;
    upstreamTimeouts: number;
    refused: number;
    rateLimited: number;
    formerr: number;
  };
}

export type Column = (number | null)[];

export interface StatsHistory {
  intervalSeconds: number;
  capacity: number;
  t: number[];
  series: Record<
    'sessions' | 'sessionsTcp' | 'sessionsUdp' | 'sessionsIcmp' | 'bindings' | 'pool4Used' | 'packets6to4' | 'packets4to6' | 'bytes6to4' | 'bytes4to6' | 'drops' | 'dnsQueries' | 'dnsSynthesized' | 'dnsCacheHits' | 'dnsCacheMisses' | 'dnsUpstreamErrors',
    Column
  >;
  drops: Record<string, Column>;
}

export interface PortUse {
  used: number;
  size: number;
}

export interface Pool4Usage {
  addressCount: number;
  tcp: PortUse;
  udp: PortUse;
  icmp: PortUse;
  addresses: { address: string; tcp: PortUse; udp: PortUse; icmp: PortUse }[];
  truncated: boolean;
}

export interface ConfigState {
  config: {
    prefix: string;
    dns64: { listen: string[]; upstreams: string[] };
    nat64: { tun: string; manageRoutes: boolean; pool4: string[] };
    [k: string]: unknown;
  };
  pinned: Record<string, string>;
}

export interface ApplyStep {
  step: string;
  outcome: 'done' | 'unchanged' | 'skipped' | 'failed';
  detail?: string;
}

export interface ApplyResult {
  version: number;
  changed: string[];
  summary: string;
  steps?: ApplyStep[];
}

export interface Session {
  protocol: Protocol;
  ipv6Client: string;
  ipv6Server: string;
  ipv4Local: string;
  ipv4Remote: string;
  state: string;
  expiresInMs: number;
}

export interface BibEntry {
  id: string;
  protocol: Protocol;
  ipv6: string;
  ipv4: string;
  static: boolean;
  sessions: number;
}

export interface PolicyRule {
  id: string;
  action: 'allow' | 'deny';
  source6?: string;
  destination4?: string;
  protocol?: Protocol;
  ports?: string;
}

export interface HistoryEntry {
  version: number;
  appliedAt: string;
  summary: string;
}

export interface TraceEvent {
  ts: number;
  source: 'nat64' | 'dns64';
  direction?: '6to4' | '4to6';
  client: string;
  dst: string;
  protocol?: string;
  decision: string;
  reason?: string;
  detail?: string;
}
