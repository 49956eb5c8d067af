#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (keepAlive) => {
    if (!keepAlive) process.exit(process.exitCode ?? 0);
  },
  (err) => {
    console.error(`sixgate: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
