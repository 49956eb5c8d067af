// Lint: typescript-eslint recommended rules plus the room graph of SPEC §1.
// The graph is also written in tsconfig references and test/conventions.test.ts.
import tseslint from 'typescript-eslint';

/** Rooms a room must not import (SPEC §1, STYLE §1). */
const forbidden = {
  addressing: ['wire', 'config', 'nat64', 'dns64', 'tun', 'datapath', 'ra', 'ha', 'probe', 'ui', 'lab', 'admin-api', 'daemon', 'testkit'],
  wire: ['config', 'nat64', 'dns64', 'tun', 'datapath', 'ra', 'ha', 'probe', 'ui', 'lab', 'admin-api', 'daemon', 'testkit'],
  config: ['wire', 'nat64', 'dns64', 'tun', 'datapath', 'ra', 'ha', 'probe', 'ui', 'lab', 'admin-api', 'daemon', 'testkit'],
  nat64: ['config', 'dns64', 'tun', 'datapath', 'ra', 'ha', 'probe', 'ui', 'lab', 'admin-api', 'daemon'],
  dns64: ['wire', 'config', 'nat64', 'tun', 'datapath', 'ra', 'ha', 'probe', 'ui', 'lab', 'admin-api', 'daemon'],
  tun: ['config', 'nat64', 'dns64', 'datapath', 'ra', 'ha', 'probe', 'ui', 'lab', 'admin-api', 'daemon'],
  datapath: ['config', 'dns64', 'ra', 'ha', 'probe', 'ui', 'lab', 'admin-api', 'daemon', 'testkit'],
  ra: ['wire', 'config', 'nat64', 'dns64', 'tun', 'datapath', 'ha', 'probe', 'ui', 'lab', 'admin-api', 'daemon', 'testkit'],
  ha: ['wire', 'config', 'dns64', 'tun', 'datapath', 'ra', 'probe', 'ui', 'lab', 'admin-api', 'daemon', 'testkit'],
  probe: ['wire', 'config', 'nat64', 'dns64', 'tun', 'datapath', 'ra', 'ha', 'ui', 'lab', 'admin-api', 'daemon', 'testkit'],
  ui: ['addressing', 'wire', 'config', 'nat64', 'dns64', 'tun', 'datapath', 'ra', 'ha', 'probe', 'lab', 'admin-api', 'daemon', 'testkit'],
  lab: ['wire', 'nat64', 'dns64', 'tun', 'datapath', 'ra', 'ha', 'probe', 'ui', 'admin-api', 'daemon', 'testkit'],
  'admin-api': ['wire', 'tun', 'datapath', 'ra', 'ha', 'probe', 'lab', 'daemon'],
  // wire only in testkit's tests (the differential test): the oracle parser stays independent of it (ADR 7).
  testkit: ['wire', 'config', 'nat64', 'dns64', 'tun', 'datapath', 'ra', 'ha', 'probe', 'ui', 'lab', 'admin-api', 'daemon'],
};

const roomRules = Object.entries(forbidden).map(([room, bad]) => ({
  files: [`packages/${room}/src/**/*.ts`],
  ignores: [`packages/${room}/src/**/*.test.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          { group: bad.map((b) => `@sixgate/${b}`), message: `${room} must not import this room (SPEC §1)` },
          { group: ['@sixgate/*/src/*', '@sixgate/*/dist/*'], message: 'import a room through its package entry only' },
          ...(room === 'nat64'
            ? [{ group: ['node:net', 'node:dgram', 'node:fs', 'node:timers', 'net', 'dgram', 'fs'], message: 'nat64 is pure: no I/O, no timers' }]
            : []),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['**/dist/**', '**/build/**', '**/node_modules/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  ...roomRules,
);
