import { describe, expect, it } from 'vitest';
import { LoopLagMonitor } from './loop-lag.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('LoopLagMonitor', () => {
  it('reads near zero on an idle loop (the sampling interval is not lag), and a blocked turn as its length', async () => {
    const m = new LoopLagMonitor(60_000, 10);
    m.start();
    try {
      await sleep(300);
      const idle = m.lag;
      expect(idle.p99).toBeGreaterThanOrEqual(0);
      expect(idle.p99).toBeLessThan(0.005);
      const until = Date.now() + 60;
      while (Date.now() < until); // one 60 ms turn
      await sleep(50);
      const busy = m.lag;
      expect(busy.max).toBeGreaterThan(0.04);
      expect(busy.max).toBeLessThan(0.5);
    } finally {
      m.stop();
    }
  });
});
