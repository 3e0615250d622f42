#!/usr/bin/env node
// Runs a Node script under Node >= 22.19, which calltrail and its test tools need. On an older
// Node (fresh machines often have one) it takes Node 22 from the npm registry via `npx -y node@22`
// (cached after the first time) and uses that, so `npm start` and `npm test` work anywhere.
import { execFileSync, spawn } from 'node:child_process';
import { dirname } from 'node:path';

const [major, minor] = process.versions.node.split('.').map(Number);
let node = process.execPath;
if (major < 22 || (major === 22 && minor < 19)) {
  console.error(`calltrail needs Node >= 22.19 and this is ${process.version}: using Node 22 from the npm registry (npx -y node@22)`);
  const printed = execFileSync('npx', ['-y', 'node@22', '-p', 'process.execPath'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  node = printed.trim().split('\n').pop();
}
// Children (test tools, the service) find the same Node first on PATH.
const env = { ...process.env, PATH: `${dirname(node)}:${process.env.PATH ?? ''}` };
const child = spawn(node, process.argv.slice(2), { stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
