#!/usr/bin/env node
// The calltrail command. It runs the compiled build (dist/cli.mjs, made by `npm install` and
// remade here whenever a source is newer), and falls back to compiling the TypeScript on the fly
// (tsx) where the build cannot be made — an install without esbuild.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  // Too old: let the launcher find Node 22 and run this command again under it.
  const launcher = fileURLToPath(new URL('../scripts/node22.mjs', import.meta.url));
  const child = spawn(process.execPath, [launcher, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, CALLTRAIL_QUIET_NODE: '1' },
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (!signal) process.exit(code ?? 0);
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  });
} else {
  const { cliMain } = await load();
  await cliMain(process.argv.slice(2));
}

async function load() {
  const { buildCli, buildIsFresh, CLI_BUILD } = await import('../scripts/build.mjs');
  if (!buildIsFresh()) {
    try {
      await buildCli();
    } catch (error) {
      if (process.env.CALLTRAIL_DEBUG) console.error(`calltrail: could not build ${CLI_BUILD}: ${error.message}; compiling on the fly`);
      const { register } = await import('tsx/esm/api');
      register();
      return import('../src/entry/node/cli.ts');
    }
  }
  return import(new URL(`file://${CLI_BUILD}`).href);
}
