#!/usr/bin/env node
// The calltrail command. TypeScript sources run through tsx, so there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
const { cliMain } = await import('../src/entry/node/cli.ts');
await cliMain(process.argv.slice(2));
