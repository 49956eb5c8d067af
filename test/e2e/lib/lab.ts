/**
 * The `sixgate lab` end-to-end tests' common ground: the built CLI's `lab`
 * command, the lab's namespaces, and the guard both shapes of the lab need
 * (fixed names: a lab already up on this machine fails the test).
 */
import { existsSync, readdirSync } from 'node:fs';
import { SIXGATE } from './appliance.js';
import { run } from './netns.js';

/** `sixgate lab <args>` with the built CLI. */
export const lab = (...args: string[]): ReturnType<typeof run> => run(process.execPath, [SIXGATE, 'lab', ...args], { timeoutMs: 90_000 });

/** The namespaces of any lab shape that exist now. */
export const labNamespaces = (): string[] => (existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith('sixgate-lab-')) : []);

/** Throws when a lab is up on this machine already: its fixed names would collide. */
export function requireNoLab(): void {
  if (labNamespaces().length > 0 || existsSync('/run/sixgate-lab')) {
    throw new Error('a sixgate lab is already up on this machine (fixed names); run `sixgate lab down` before this test');
  }
}
