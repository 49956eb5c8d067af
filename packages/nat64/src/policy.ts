/**
 * Translation policy (SPEC §6 "Policy rules"): an ordered list of allow/deny
 * rules over IPv6 source prefix, IPv4 destination prefix, protocol and
 * destination ports. The first matching rule decides; no match means allow.
 * The translator asks `check()` for every new flow (allocation-free); DNS64
 * asks `wouldTranslate()` before synthesizing an AAAA record so it never hands
 * out an address the translator would refuse.
 *
 * Rules arrive either parsed (`PolicyRule`) or as config text
 * (`PolicyRuleText`, via `parsePolicyRules`), which is validated with errors
 * naming the rule and the field.
 */
import { parseIpv4Cidr, parseIpv6Cidr, ipv6InCidr, ipv4Mask, type Ipv4Cidr, type Ipv6Cidr } from '@sixgate/addressing';

/** A parsed rule. `ports` (inclusive) only with protocol tcp or udp. */
export interface PolicyRule {
  readonly id: string;
  readonly action: 'allow' | 'deny';
  readonly source6?: Ipv6Cidr;
  readonly destination4?: Ipv4Cidr;
  readonly protocol?: 'tcp' | 'udp' | 'icmp';
  readonly ports?: readonly [number, number];
}

/** A rule as written in the configuration file. */
export interface PolicyRuleText {
  readonly id: string;
  readonly action: string;
  readonly source6?: string;
  readonly destination4?: string;
  readonly protocol?: string;
  /** "80" or "1000-2000". */
  readonly ports?: string;
}

/** A rule was refused; `message` names the rule and field. */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  readonly code = 'ERR_POLICY_RULE';
}

const PROTO_NUM = { tcp: 6, udp: 17, icmp: 1 } as const;
const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function fail(i: number, id: unknown, field: string, why: string): never {
  throw new PolicyError(`policy[${i}]${typeof id === 'string' && id !== '' ? ` ("${id}")` : ''}.${field}: ${why}`);
}

function parsePorts(text: string, i: number, id: string): [number, number] {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
  if (m === null) fail(i, id, 'ports', `"${text}" is not a port or a range like 1000-2000`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo > 65535 || hi > 65535 || lo > hi) fail(i, id, 'ports', `"${text}" must satisfy 0 <= low <= high <= 65535`);
  return [lo, hi];
}

/** Parses and validates rules in config text form. Throws PolicyError. */
export function parsePolicyRules(rules: readonly PolicyRuleText[]): PolicyRule[] {
  if (!Array.isArray(rules)) throw new PolicyError('policy must be a list of rules');
  return rules.map((r, i) => {
    if (r === null || typeof r !== 'object') fail(i, undefined, 'id', 'a rule must be an object');
    const id = r.id;
    const at = (field: string, f: () => unknown): unknown => {
      try {
        return f();
      } catch (e) {
        return fail(i, id, field, (e as Error).message);
      }
    };
    const rule: PolicyRule = {
      id,
      action: r.action as 'allow' | 'deny',
      ...(r.source6 === undefined ? {} : { source6: at('source6', () => parseIpv6Cidr(r.source6!)) as Ipv6Cidr }),
      ...(r.destination4 === undefined ? {} : { destination4: at('destination4', () => parseIpv4Cidr(r.destination4!)) as Ipv4Cidr }),
      ...(r.protocol === undefined ? {} : { protocol: r.protocol as 'tcp' }),
      ...(r.ports === undefined ? {} : { ports: parsePorts(String(r.ports), i, id) }),
    };
    checkRule(rule, i);
    return rule;
  });
}

function checkRule(r: PolicyRule, i: number): void {
  if (typeof r.id !== 'string' || !ID.test(r.id)) fail(i, r.id, 'id', `"${String(r.id)}" must be 1-64 letters, digits, "_", "." or "-"`);
  if (r.action !== 'allow' && r.action !== 'deny') fail(i, r.id, 'action', `"${String(r.action)}" must be allow or deny`);
  if (r.protocol !== undefined && !(r.protocol in PROTO_NUM)) fail(i, r.id, 'protocol', `"${String(r.protocol)}" must be tcp, udp or icmp`);
  if (r.ports !== undefined) {
    const [lo, hi] = r.ports;
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi > 65535 || lo > hi) fail(i, r.id, 'ports', `[${lo}, ${hi}] must satisfy 0 <= low <= high <= 65535`);
    if (r.protocol !== 'tcp' && r.protocol !== 'udp') fail(i, r.id, 'ports', `need protocol tcp or udp (ports do not apply to ${r.protocol ?? 'any protocol'})`);
  }
  if (r.source6 !== undefined && (!(r.source6.bytes instanceof Uint8Array) || r.source6.bytes.length !== 16)) fail(i, r.id, 'source6', 'not a parsed IPv6 prefix');
  if (r.destination4 !== undefined && !Number.isInteger(r.destination4.address)) fail(i, r.id, 'destination4', 'not a parsed IPv4 prefix');
}

export class Policy {
  private readonly list: readonly PolicyRule[];
  /** Compiled columns: protocol (0 = any), IPv4 address/mask, port range (lo -1 = any). */
  private readonly proto: Uint8Array;
  private readonly addr4: Uint32Array;
  private readonly mask4: Uint32Array;
  private readonly lo: Int32Array;
  private readonly hi: Int32Array;
  private readonly deny: Uint8Array;
  private readonly src6: readonly (Ipv6Cidr | undefined)[];
  private readonly hitCount: Float64Array;

  constructor(rules: readonly PolicyRule[]) {
    if (!Array.isArray(rules)) throw new PolicyError('policy must be a list of rules');
    const seen = new Map<string, number>();
    rules.forEach((r, i) => {
      checkRule(r, i);
      if (seen.has(r.id)) fail(i, r.id, 'id', `already used by policy[${seen.get(r.id)}]`);
      seen.set(r.id, i);
    });
    this.list = Object.freeze(rules.map((r) => Object.freeze({ ...r })));
    const n = rules.length;
    const col = (f: (r: PolicyRule) => number): number[] => rules.map(f);
    this.proto = Uint8Array.from(col((r) => (r.protocol === undefined ? 0 : PROTO_NUM[r.protocol])));
    this.mask4 = Uint32Array.from(col((r) => (r.destination4 === undefined ? 0 : ipv4Mask(r.destination4.length))));
    this.addr4 = Uint32Array.from(col((r) => (r.destination4 === undefined ? 0 : r.destination4.address)));
    this.lo = Int32Array.from(col((r) => (r.ports === undefined ? -1 : r.ports[0])));
    this.hi = Int32Array.from(col((r) => (r.ports === undefined ? -1 : r.ports[1])));
    this.deny = Uint8Array.from(col((r) => (r.action === 'deny' ? 1 : 0)));
    this.src6 = rules.map((r) => r.source6);
    this.hitCount = new Float64Array(n);
  }

  /**
   * The index of the deny rule that refuses this new flow, or -1 when it is
   * allowed. `proto` is 6, 17 or 1 (58 counts as ICMP). Counts a hit on the
   * deciding rule. Allocation-free (5 primitive parameters for the hot path).
   */
  check(proto: number, buf: Uint8Array, src6Off: number, dst4: number, dstPort: number): number {
    const n = this.deny.length;
    if (n === 0) return -1;
    const p = proto === 58 ? 1 : proto;
    dst4 >>>= 0;
    for (let i = 0; i < n; i++) {
      const rp = this.proto[i]!;
      if (rp !== 0 && rp !== p) continue;
      if (((dst4 & this.mask4[i]!) >>> 0) !== this.addr4[i]) continue;
      const lo = this.lo[i]!;
      if (lo >= 0 && (dstPort < lo || dstPort > this.hi[i]!)) continue;
      const s6 = this.src6[i];
      if (s6 !== undefined && !ipv6InCidr(buf, src6Off, s6)) continue;
      this.hitCount[i]!++;
      return this.deny[i] === 1 ? i : -1;
    }
    return -1;
  }

  /**
   * For DNS64: false only when the first rule that could apply to any flow
   * from `client6` to `dst4` is a deny rule without protocol or port
   * restriction (every flow would be refused). An allow rule for part of the
   * flows, or no rule, means true. Counts no hits.
   */
  wouldTranslate(client6: Uint8Array, dst4: number): boolean {
    dst4 >>>= 0;
    for (let i = 0; i < this.deny.length; i++) {
      if (((dst4 & this.mask4[i]!) >>> 0) !== this.addr4[i]) continue;
      const s6 = this.src6[i];
      if (s6 !== undefined && !ipv6InCidr(client6, 0, s6)) continue;
      const total = this.proto[i] === 0 && this.lo[i] === -1;
      if (this.deny[i] === 0) return true;
      if (total) return false;
    }
    return true;
  }

  /**
   * Which rule refuses, for diagnoses (`sixgate probe`); counts no hits.
   * With `proto` (6, 17 or 1) and `port`, the first matching rule decides as
   * in {@link check}; without, it is the rule that makes
   * {@link wouldTranslate} false. Undefined: allowed.
   */
  refusingRule(client6: Uint8Array, dst4: number, proto?: number, port?: number): string | undefined {
    dst4 >>>= 0;
    for (let i = 0; i < this.deny.length; i++) {
      if (((dst4 & this.mask4[i]!) >>> 0) !== this.addr4[i]) continue;
      const s6 = this.src6[i];
      if (s6 !== undefined && !ipv6InCidr(client6, 0, s6)) continue;
      if (proto === undefined) {
        if (this.deny[i] === 0) return undefined;
        if (this.proto[i] === 0 && this.lo[i] === -1) return this.list[i]!.id;
        continue;
      }
      const rp = this.proto[i]!;
      if (rp !== 0 && rp !== (proto === 58 ? 1 : proto)) continue;
      const lo = this.lo[i]!;
      if (lo >= 0 && (port === undefined || port < lo || port > this.hi[i]!)) continue;
      return this.deny[i] === 1 ? this.list[i]!.id : undefined;
    }
    return undefined;
  }

  /** The rules in order (frozen copies). */
  rules(): readonly PolicyRule[] {
    return this.list;
  }

  /** Hits per rule, in rule order. */
  hits(): { id: string; action: 'allow' | 'deny'; hits: number }[] {
    return this.list.map((r, i) => ({ id: r.id, action: r.action, hits: this.hitCount[i]! }));
  }
}
