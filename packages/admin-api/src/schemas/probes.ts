/**
 * GET /api/v1/probes: the continuous probes (config `probes`) with the last
 * result of each. The result shape is packages/probe's ProbeResult; the
 * daemon passes it through unchanged.
 */
import { Type, type Static } from '@sinclair/typebox';

const StepName = Type.String({ description: 'dns, route, policy, tcp, tls, http, pmtu, udp, icmp or resolver' });

export const ProbeStepSchema = Type.Object({
  step: StepName,
  status: Type.Union([Type.Literal('pass'), Type.Literal('fail'), Type.Literal('skip')]),
  ms: Type.Number({ minimum: 0, description: 'Time the step took in milliseconds' }),
  detail: Type.String({ description: 'What the step saw, in plain words' }),
  diagnosis: Type.Optional(Type.String({ description: 'Why it failed (or a result worth naming, such as native IPv6)' })),
});

export const ProbeResultSchema = Type.Object({
  target: Type.String(),
  kind: Type.String({ description: 'name, ipv4, url, tcp, udp or dns' }),
  status: Type.Union([Type.Literal('pass'), Type.Literal('native'), Type.Literal('fail')], { description: 'native: the name has IPv6 of its own, NAT64 is not involved (counts as success)' }),
  step: Type.Optional(StepName),
  diagnosis: Type.String({ description: '"ok", or the diagnosis of the failing step' }),
  address4: Type.Optional(Type.String()),
  address6: Type.Optional(Type.String()),
  source6: Type.Optional(Type.String()),
  startedAt: Type.String({ format: 'date-time' }),
  ms: Type.Number({ minimum: 0 }),
  steps: Type.Array(ProbeStepSchema),
});
export type ProbeResultView = Static<typeof ProbeResultSchema>;

export const ProbeStateSchema = Type.Object({
  target: Type.String(),
  critical: Type.Boolean(),
  intervalSeconds: Type.Number({ minimum: 0 }),
  running: Type.Boolean({ description: 'A run is under way now' }),
  runs: Type.Integer({ minimum: 0 }),
  failures: Type.Integer({ minimum: 0 }),
  last: Type.Optional(ProbeResultSchema),
  nextRunAt: Type.Optional(Type.String({ format: 'date-time' })),
});
export type ProbeStateView = Static<typeof ProbeStateSchema>;

export const ProbesSchema = Type.Object({
  probes: Type.Array(ProbeStateSchema, { description: 'In configuration order; empty when no probes are configured' }),
});
export type ProbesView = Static<typeof ProbesSchema>;

/** One metric sample per (target, step) of the last runs. */
export interface ProbeMetricSample {
  readonly target: string;
  readonly step: string;
  readonly success: number;
  readonly seconds: number;
}
