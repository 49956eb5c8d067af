import { describe, expect, it } from 'vitest';
import { ip, LabError } from './lab.js';

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
