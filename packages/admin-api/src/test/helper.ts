/**
 * Test helper (not built): a fresh app over a FakeAdminPorts per test,
 * closed in afterEach. Tests only `inject`; no port is ever opened.
 */
import { afterEach, beforeEach } from 'vitest';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildAdminApi } from '../app.js';
import { FakeAdminPorts } from '../fake-ports.js';

export const TOKEN = 'test-token-0123456789abcdef';
export const AUTH = { authorization: `Bearer ${TOKEN}` };

export interface Ctx {
  app: FastifyInstance;
  ports: FakeAdminPorts;
  /** inject with the right token. */
  call(method: InjectOptions['method'], url: string, payload?: unknown): Promise<LightMyRequestResponse>;
}

export function useApp(): Ctx {
  const ctx = {} as Ctx;
  beforeEach(() => {
    ctx.ports = new FakeAdminPorts();
    ctx.app = buildAdminApi({ ports: ctx.ports, token: TOKEN });
    ctx.call = (method, url, payload) =>
      ctx.app.inject({ method, url, headers: AUTH, ...(payload === undefined ? {} : { payload: payload as InjectOptions['payload'] }) });
  });
  afterEach(async () => {
    await ctx.app.close();
  });
  return ctx;
}

/** The JSON body of an error response, checked for the `{statusCode, error, message}` shape. */
export function errorOf(res: LightMyRequestResponse): { statusCode: number; error: string; message: string } {
  const body = res.json() as { statusCode: number; error: string; message: string };
  if (Object.keys(body).sort().join() !== 'error,message,statusCode' || body.statusCode !== res.statusCode) {
    throw new Error(`not an error body for ${res.statusCode}: ${res.body}`);
  }
  return body;
}
