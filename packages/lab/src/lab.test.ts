import { describe, expect, it } from 'vitest';
import { ip, labEnv, LabError } from './lab.js';

describe('ip', () => {
  it('returns what iproute2 prints', async () => {
    expect(await ip(['-V'])).toMatch(/^ip utility/);
  });

  it('throws LabError with the command and iproute2 own words on a failure', async () => {
    const e = await ip(['no-such-object']).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(LabError);
    expect((e as Error).message).toMatch(/^ip no-such-object: Object "no-such-object" is unknown/);
  });
});

describe('labEnv', () => {
  it('drops proxy and resolver variables, keeps the rest (SIXGATE_* reach sixgate run)', () => {
    const env = labEnv({ http_proxy: 'h', HTTPS_PROXY: 'p', no_proxy: 'n', npm_config_noproxy: 'x', RES_OPTIONS: 'r', LOCALDOMAIN: 'l', HOSTALIASES: 'a', SIXGATE_API_TOKEN: 't', PATH: '/bin', PROXYISH: 'k' });
    expect(env).toEqual({ SIXGATE_API_TOKEN: 't', PATH: '/bin', PROXYISH: 'k' });
  });
});
