/**
 * buildAdminApi: the Fastify application of SPEC §7, not listening (the
 * daemon calls `listen`). Layout:
 *
 *   root            error/404 handlers, OpenAPI (/docs, open), ports
 *   ├─ health       GET /api/v1/health (open: container health checks)
 *   ├─ ui           GET / and /assets/* — the dashboard (open, strict CSP)
 *   └─ secured      bearer token on every request
 *      ├─ config, history, prefix, sessions, bib, policy, stats, trace, probes
 *      └─ metrics   GET /metrics
 */
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { AjvCompiler, type ValidatorFactory } from '@fastify/ajv-compiler';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { AddressError } from '@sixgate/addressing';
import { ConfigError, type ConfigErrorCode } from '@sixgate/config';
import { AdminConfigError, ApplyError, errorBody } from './errors.js';
import type { AdminPorts } from './ports.js';
import { portsPlugin } from './plugins/ports.js';
import { authPlugin } from './plugins/auth.js';
import { healthRoutes } from './routes/health.js';
import { configRoutes } from './routes/config.js';
import { historyRoutes } from './routes/history.js';
import { prefixRoutes } from './routes/prefix.js';
import { sessionRoutes } from './routes/sessions.js';
import { bibRoutes } from './routes/bib.js';
import { policyRoutes } from './routes/policy.js';
import { statsRoutes } from './routes/stats.js';
import { traceRoutes } from './routes/trace.js';
import { metricsRoutes } from './routes/metrics.js';
import { raRoutes } from './routes/ra.js';
import { haRoutes } from './routes/ha.js';
import { uiRoutes } from './routes/ui.js';
import type { UiAsset } from '@sixgate/ui';
import { probeRoutes } from './routes/probes.js';
import { describeValidation } from './validation.js';

export interface AdminDeps {
  /** The running system. */
  readonly ports: AdminPorts;
  /** The bearer token every protected request must carry (non-empty). */
  readonly token: string;
  /** A pino(-compatible) logger for request logs; false or absent: no logs. */
  readonly logger?: FastifyBaseLogger | false;
  /** The dashboard's assets (default: the built @sixgate/ui); an Error makes `/` answer 503 with it. */
  readonly ui?: UiAsset[] | Error;
}

/**
 * Validators. Query strings and path parameters arrive as text, so their
 * validators coerce ("10" → 10); JSON bodies are typed already and are checked
 * as sent (no "5" → 5, no null → ""). Both pools are shared by every app in
 * the process: Ajv caches compiled schemas by object, and compiling the config
 * PATCH schema costs ~0.2 s, which tests (an app per test) would otherwise pay
 * each time.
 */
const coercingPool = AjvCompiler();
const exactPool = AjvCompiler();
const buildValidator: ValidatorFactory = (externalSchemas, options) => {
  const forText = coercingPool(externalSchemas, options);
  const custom = { ...(options?.customOptions as object | undefined), coerceTypes: false };
  const forBody = exactPool(externalSchemas, { ...options, customOptions: custom } as Parameters<ValidatorFactory>[1]);
  return (route) => (route.httpPart === 'body' ? forBody(route) : forText(route));
};

/** OpenAPI 3 document (served at /docs/json) with bearer auth as the default. */
const OPENAPI = {
  openapi: '3.0.3',
  info: { title: 'sixgate admin API', version: '1', description: 'DNS64 + NAT64 appliance administration (SPEC §7)' },
  components: { securitySchemes: { bearer: { type: 'http' as const, scheme: 'bearer' } } },
  security: [{ bearer: [] }],
  tags: [
    { name: 'health', description: 'Liveness for health checks (no token)' },
    { name: 'config', description: 'Configuration, history and rollback' },
    { name: 'prefix', description: 'The NAT64 prefix shared by DNS64 and NAT64' },
    { name: 'nat64', description: 'Sessions and bindings (RFC 6146)' },
    { name: 'policy', description: 'Translation policy rules' },
    { name: 'stats', description: 'Counters as JSON and Prometheus text' },
    { name: 'trace', description: 'Bounded live trace: SSE or pcap' },
    { name: 'ra', description: 'Router advertisements (PREF64, RDNSS) and conflicts' },
    { name: 'ha', description: 'High-availability pair: role, peer and session sync (ADR 8)' },
    { name: 'probes', description: 'Continuous probes through DNS64 and the translator' },
  ],
};

function createApp(logger: FastifyBaseLogger | false | undefined): FastifyInstance {
  return Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    // Unknown keys are an error, not silently removed (Fastify's default removes them).
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
    schemaController: { compilersFactory: { buildValidator } },
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    // Router errors (bad URL encoding, over-long path parameters) in the same shape.
    frameworkErrors: (err, _request, reply) => {
      const status = err.statusCode ?? 400;
      void (reply as FastifyReply).code(status).send(errorBody(status, err.message));
    },
  });
}

/** Builds the admin API application. Throws AdminConfigError on an empty token. */
export function buildAdminApi(deps: AdminDeps): FastifyInstance {
  if (deps.token.length === 0) throw new AdminConfigError('ERR_API_TOKEN', 'the admin API token must not be empty');
  const app = createApp(deps.logger);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(errorBody(404, `no route ${request.method} ${request.url.split('?')[0]}; see /docs`));
  });
  void app.register(swagger, { openapi: OPENAPI });
  void app.register(swaggerUi, { routePrefix: '/docs' });
  void app.register(portsPlugin, { ports: deps.ports });
  void app.register(healthRoutes, { prefix: '/api/v1' });
  void app.register(uiRoutes, deps.ui === undefined ? {} : { assets: deps.ui });
  void app.register(async (secured) => {
    await secured.register(authPlugin, { token: deps.token });
    // Answers behind the token are never stored by a browser or a proxy (the dashboard reads them).
    secured.addHook('onSend', async (_request, reply, payload) => {
      if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
      return payload;
    });
    for (const routes of [configRoutes, historyRoutes, prefixRoutes, sessionRoutes, bibRoutes, policyRoutes, statsRoutes, traceRoutes, probeRoutes, haRoutes]) {
      await secured.register(routes, { prefix: '/api/v1' });
    }
    await secured.register(raRoutes, { prefix: '/api/v1' });
    await secured.register(metricsRoutes);
  });
  return app;
}

/** How @sixgate/config's errors, which ports may let through, reach the client. */
const CONFIG_ERROR_STATUS: Partial<Record<ConfigErrorCode, number>> = {
  ERR_CONFIG_INVALID: 400,
  ERR_CONFIG_PINNED: 409,
  ERR_CONFIG_HISTORY: 404,
};

/** The one error handler: everything leaves as `{statusCode, error, message}`. */
function errorHandler(err: Error & Partial<FastifyError>, request: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof ApplyError) {
    if (err.statusCode >= 500) request.log.error({ err }, 'admin API port failed');
    void reply.code(err.statusCode).send(errorBody(err.statusCode, err.message));
    return;
  }
  if (err instanceof ConfigError) {
    const status = CONFIG_ERROR_STATUS[err.code] ?? 500;
    if (status >= 500) request.log.error({ err }, 'admin API config store failed');
    void reply.code(status).send(errorBody(status, err.issues.join('; ')));
    return;
  }
  if (err instanceof AddressError) {
    void reply.code(400).send(errorBody(400, err.message));
    return;
  }
  if (err.validation !== undefined) {
    void reply.code(400).send(errorBody(400, describeValidation(err.validation, err.validationContext)));
    return;
  }
  const status = err.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    void reply.code(status).send(errorBody(status, err.message));
    return;
  }
  request.log.error({ err }, 'admin API request failed');
  void reply.code(500).send(errorBody(500, `internal error: ${err.message}`));
}
