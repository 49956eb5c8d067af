/**
 * @sixgate/nat64 — RFC 7915 translation and RFC 6146 stateful NAT64, pure and
 * sans-IO: `Translator` turns packet bytes into outcomes; the state tables sit
 * behind `StateApi`; time comes from an injected `Clock`.
 */
export type { Clock } from './clock.js';
export {
  Nat64ConfigError,
  type Nat64ConfigErrorCode,
  TRANSLATOR_DEFAULTS,
  type TranslatorConfig,
  type TranslatorOptions,
  type Rfc6791Range,
  resolveTranslatorOptions,
  ownIpv6Address,
} from './config.js';
export {
  DROP_REASONS,
  type DropReason,
  type DropCounters,
  TranslatorCounters,
  type TranslatorSnapshot,
} from './metrics.js';
export {
  type Outcome,
  type ForwardOutcome,
  type ForwardManyOutcome,
  type ReplyOutcome,
  type DropOutcome,
  DROP,
  MAX_FRAGMENTS,
  ipPacketLength,
} from './translate/outcome.js';
export type { PolicyCheck } from './translate/context.js';
export { Translator, HEADROOM, OUT_BUFFER_SIZE } from './translator.js';
export * from './state/index.js';
export { Policy, PolicyError, parsePolicyRules, type PolicyRule, type PolicyRuleText } from './policy.js';
