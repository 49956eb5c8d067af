/**
 * Rules the schema cannot express, run after it on a schema-valid config:
 * the NAT64 prefix (RFC 6052 §2.2), CIDRs, listen/upstream addresses, port
 * ranges, pool4 overlaps, static BIB entries inside pool4 and its port range,
 * unique policy ids, and a few cross-key sanity rules.
 */
import {
  AddressError,
  type Ipv4Cidr,
  ipv4CidrsOverlap,
  ipv4InCidr,
  parseIpv4Cidr,
  parseIpv6Cidr,
  parseNat64Prefix,
  tryParseIpv6,
} from '@sixgate/addressing';
import { parseListenAddress, parsePortRange, parseUpstream, type HostPort } from './endpoints.js';
import type { Issue } from './errors.js';
import type { Config, PolicyRule, StaticBibEntry } from './schema.js';

type Add = (path: string, message: string) => void;

/** Runs `parse(value)`; an AddressError becomes an issue at `path`. */
function attempt<T>(add: Add, path: string, parse: () => T): T | undefined {
  try {
    return parse();
  } catch (err) {
    if (err instanceof AddressError) {
      add(path, err.message);
      return undefined;
    }
    throw err;
  }
}

/** The NAT64 prefix rule, with a plain message when the text is not IPv6 at all. */
export function checkPrefix(text: string): void {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  if (tryParseIpv6(addr) === undefined && !/^\d+\.\d+\.\d+\.\d+$/.test(addr)) {
    throw new AddressError('ERR_ADDRESS_SYNTAX', `"${text}" is not an IPv6 prefix`);
  }
  parseNat64Prefix(text);
}

function anyCidr(text: string): void {
  if (text.includes(':')) parseIpv6Cidr(text);
  else parseIpv4Cidr(text);
}

/** RFC 1035 §2.3.4: labels 1–63 octets, a name at most 253 characters in text. */
function domainName(text: string): void {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  const labels = name.split('.');
  const ok = name.length > 0 && name.length <= 253 && labels.every((l) => /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(l));
  if (!ok) throw new AddressError('ERR_ADDRESS_SYNTAX', `"${text}" is not a domain name`);
}

function eachString(add: Add, path: string, list: readonly string[], parse: (s: string) => unknown): void {
  list.forEach((s, i) => attempt(add, `${path}[${i}]`, () => parse(s)));
}

function checkDns64(c: Config['dns64'], add: Add): void {
  eachString(add, 'dns64.listen', c.listen, parseListenAddress);
  eachString(add, 'dns64.upstreams', c.upstreams, parseUpstream);
  eachString(add, 'dns64.clients', c.clients, anyCidr);
  eachString(add, 'dns64.exclude', c.exclude, parseIpv6Cidr);
  eachString(add, 'dns64.noSynthesis', c.noSynthesis, domainName);
  eachString(add, 'dns64.ignoreAaaa', c.ignoreAaaa, domainName);
  if (c.cache.minTtl > c.cache.maxTtl) {
    add('dns64.cache.minTtl', `${c.cache.minTtl} is above dns64.cache.maxTtl ${c.cache.maxTtl}`);
  }
  if (c.rateLimit.perSecond > 0 && c.rateLimit.burst < 1) {
    add('dns64.rateLimit.burst', '0 would refuse every query while rateLimit.perSecond is above 0 (set perSecond 0 to turn the limit off)');
  }
  if (c.rateLimit.prefixPerSecond > 0 && c.rateLimit.prefixBurst < 1) {
    add('dns64.rateLimit.prefixBurst', '0 would refuse every query while rateLimit.prefixPerSecond is above 0 (set prefixPerSecond 0 to turn the subnet limit off)');
  }
}

function checkPool4(c: Config['nat64'], add: Add): Ipv4Cidr[] {
  const pool: { cidr: Ipv4Cidr; index: number }[] = [];
  c.pool4.forEach((text, i) => {
    const cidr = attempt(add, `nat64.pool4[${i}]`, () => parseIpv4Cidr(text));
    if (cidr === undefined) return;
    const other = pool.find((p) => ipv4CidrsOverlap(p.cidr, cidr));
    if (other !== undefined) add(`nat64.pool4[${i}]`, `"${text}" overlaps nat64.pool4[${other.index}] "${c.pool4[other.index]}"`);
    pool.push({ cidr, index: i });
  });
  // The translator's limit (nat64 state, MAX_POOL4_ADDRESSES): a bigger pool is a typo, refused here
  // rather than at start.
  const addresses = pool.reduce((n, p) => n + 2 ** (32 - p.cidr.length), 0);
  if (addresses > 65_536) add('nat64.pool4', `holds ${addresses} addresses; at most 65536 (a /16) in total`);
  return pool.map((p) => p.cidr);
}

function parseV4TransportAddress(text: string): HostPort {
  const hp = parseListenAddress(text);
  if (hp.family !== 4) throw new AddressError('ERR_ADDRESS_FAMILY', `"${text}" is not an IPv4 "addr:port"`);
  return hp;
}

function parseV6TransportAddress(text: string): HostPort {
  const hp = parseListenAddress(text);
  if (hp.family !== 6) throw new AddressError('ERR_ADDRESS_FAMILY', `"${text}" is not an IPv6 "[addr]:port"`);
  return hp;
}

function checkStaticBib(c: Config['nat64'], pool: Ipv4Cidr[], add: Add): void {
  const seen4 = new Map<string, number>();
  const seen6 = new Map<string, number>();
  c.staticBib.forEach((e: StaticBibEntry, i) => {
    const at = `nat64.staticBib[${i}]`;
    const v6 = attempt(add, `${at}.ipv6`, () => parseV6TransportAddress(e.ipv6));
    const v4 = attempt(add, `${at}.ipv4`, () => parseV4TransportAddress(e.ipv4));
    if (v4 === undefined || v6 === undefined) return;
    const addr = parseIpv4Cidr(v4.host).address;
    if (pool.length === c.pool4.length && !pool.some((p) => ipv4InCidr(addr, p))) {
      add(`${at}.ipv4`, `"${e.ipv4}" is not inside nat64.pool4 (${c.pool4.join(', ')})`);
    }
    const range = attempt(add, `nat64.ports.${e.protocol}`, () => parsePortRange(c.ports[e.protocol], 0));
    if (range !== undefined && (v4.port < range.low || v4.port > range.high)) {
      add(`${at}.ipv4`, `"${e.ipv4}" has port ${v4.port} outside nat64.ports.${e.protocol} "${c.ports[e.protocol]}"`);
    }
    const k4 = `${e.protocol} ${v4.host}:${v4.port}`;
    const k6 = `${e.protocol} [${v6.host}]:${v6.port}`;
    if (seen4.has(k4)) add(`${at}.ipv4`, `"${e.ipv4}" is already mapped by nat64.staticBib[${seen4.get(k4)}] (${e.protocol})`);
    if (seen6.has(k6)) add(`${at}.ipv6`, `"${e.ipv6}" is already mapped by nat64.staticBib[${seen6.get(k6)}] (${e.protocol})`);
    seen4.set(k4, i);
    seen6.set(k6, i);
  });
}

function checkPolicy(rules: readonly PolicyRule[], add: Add): void {
  const ids = new Map<string, number>();
  rules.forEach((r, i) => {
    const at = `nat64.policy[${i}]`;
    if (ids.has(r.id)) add(`${at}.id`, `"${r.id}" is already used by nat64.policy[${ids.get(r.id)}]`);
    ids.set(r.id, i);
    if (r.source6 !== undefined) attempt(add, `${at}.source6`, () => parseIpv6Cidr(r.source6!));
    if (r.destination4 !== undefined) attempt(add, `${at}.destination4`, () => parseIpv4Cidr(r.destination4!));
    if (r.ports !== undefined) {
      attempt(add, `${at}.ports`, () => parsePortRange(r.ports!));
      if (r.protocol !== 'tcp' && r.protocol !== 'udp') {
        add(`${at}.ports`, `"${r.ports}" needs protocol tcp or udp (ports do not apply to ${r.protocol ?? 'any protocol'})`);
      }
    }
  });
}

function checkNat64(c: Config['nat64'], add: Add): void {
  if (c.tun === '.' || c.tun === '..') add('nat64.tun', `"${c.tun}" is not a usable interface name`);
  const pool = checkPool4(c, add);
  for (const proto of ['tcp', 'udp', 'icmp'] as const) {
    // ICMP identifiers may be 0; TCP/UDP port 0 is not a valid port.
    attempt(add, `nat64.ports.${proto}`, () => parsePortRange(c.ports[proto], proto === 'icmp' ? 0 : 1));
  }
  eachString(add, 'nat64.rfc6791Pool', c.rfc6791Pool, parseIpv4Cidr);
  checkStaticBib(c, pool, add);
  checkPolicy(c.policy, add);
  if (c.maxSessionsPerClient > c.maxSessions) {
    add('nat64.maxSessionsPerClient', `${c.maxSessionsPerClient} is above nat64.maxSessions ${c.maxSessions}`);
  }
}

function checkRa(c: Config['ra'], add: Add): void {
  // RFC 4861 §6.2.1: MinRtrAdvInterval at most 0.75 × MaxRtrAdvInterval.
  if (c.minInterval > 0.75 * c.maxInterval) add('ra.minInterval', `${c.minInterval} is above 0.75 × ra.maxInterval (${0.75 * c.maxInterval})`);
  if (new Set(c.interfaces).size !== c.interfaces.length) add('ra.interfaces', 'an interface is listed twice');
  eachString(add, 'ra.dnssl', c.dnssl, domainName);
  c.prefixes.forEach((p, i) => {
    const cidr = attempt(add, `ra.prefixes[${i}].prefix`, () => parseIpv6Cidr(p.prefix));
    if (cidr && cidr.length > 128) add(`ra.prefixes[${i}].prefix`, 'length above 128');
    if ((p.preferredLifetime ?? 14_400) > (p.validLifetime ?? 86_400)) add(`ra.prefixes[${i}].preferredLifetime`, `${p.preferredLifetime ?? 14_400} is above validLifetime ${p.validLifetime ?? 86_400}`);
  });
}

function checkHa(h: Config['ha'], add: Add): void {
  attempt(add, 'ha.listen', () => parseListenAddress(h.listen));
  if (h.peer !== '') attempt(add, 'ha.peer', () => parseListenAddress(h.peer));
  if (!h.enabled) return;
  if (h.peer === '') add('ha.peer', 'is required when ha.enabled is true');
  if (h.key === undefined && h.keyFile === '') add('ha.keyFile', 'ha.key or ha.keyFile is required when ha.enabled is true');
  if (h.keyFile !== '' && !h.keyFile.startsWith('/')) add('ha.keyFile', `"${h.keyFile}" is not an absolute path`);
  if (h.peer !== '' && h.peer === h.listen) add('ha.peer', 'is this node\'s own ha.listen');
}

/** All semantic issues of a schema-valid config, in key order; none means valid. */
export function semanticIssues(config: Config): Issue[] {
  const out: Issue[] = [];
  const seen = new Set<string>();
  const add: Add = (path, message) => {
    const key = `${path}\n${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ path, message });
  };
  attempt(add, 'prefix', () => checkPrefix(config.prefix));
  checkDns64(config.dns64, add);
  checkNat64(config.nat64, add);
  checkRa(config.ra, add);
  attempt(add, 'api.listen', () => parseListenAddress(config.api.listen));
  if (!config.stateDir.startsWith('/')) add('stateDir', `"${config.stateDir}" is not an absolute path`);
  checkHa(config.ha, add);
  return out;
}
