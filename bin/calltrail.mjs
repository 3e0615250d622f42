#!/usr/bin/env node
// The calltrail command. TypeScript sources run through tsx, so there is no build step to forget.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  // Too old: let the launcher find Node 22 and run this command again under it.
  const launcher = fileURLToPath(new URL('../scripts/node22.mjs', import.meta.url));
  const child = spawn(process.execPath, [launcher, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { cliMain } = await import('../src/entry/node/cli.ts');
  await cliMain(process.argv.slice(2));
}
