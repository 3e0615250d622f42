/**
 * The layout's promise: layers only look down, and no two folders import each other. Every
 * top-level room of src/ (a folder, or a file such as app.ts) has a layer; a file may import
 * its own room and rooms of lower layers only. Any cycle between folders (at any depth, e.g.
 * pbx/asterisk ↔ pbx/freepbx) fails as well. `ARCH_REPORT=1` prints the counts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../../src');

/** Lowest first. A room may import rooms listed before it, never after (nor beside: one room a layer). */
const LAYERS = [
  'lib', // generic utilities
  'domain', // pure types and rules: a call, its legs, numbers, outcomes
  'widget', // the amoCRM widget calltrail ships: its files as text
  'sandbox', // the sandbox amoCRM: a tool of its own, reached through the CRM port like a real amoCRM
  'config', // schema pieces every section shares (zones, countries, templates, messages)
  'db', // tables mapping the domain's types
  'audit', // the append-only, hash-chained trail of who did what
  'people', // users, API tokens, passwords, sign-in throttling
  'ledger', // the inbox, conversations, settling
  'crm', // the CRM port, its one HTTP transport, the vendors as tables
  'recordings', // fetch, archive, audio, signed links
  'delivery', // the outbox worker
  'privacy', // retention of call data, legal hold, erasure by phone number
  'pbx', // the sources, one descriptor each, and their registry
  'jobs', // the periodic tick
  'reconcile', // the nightly run
  'live', // the live half: ringing calls, screen pops, caller lookups, click-to-call
  'settings', // the one config pass: env and the integrator file into Settings
  'accounts', // the accounts an instance serves besides its own: their rows, settings, running apps
  'deps', // what the app is built from
  'http', // HTTP surfaces: /v1, /admin, webhooks, and what they share
  'app', // createApp
  'entry', // the runtimes: Node, Workers
] as const;

interface Import {
  from: string;
  to: string;
  line: number;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const SPECIFIER = /(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function resolveFile(from: string, specifier: string): string | null {
  const base = resolve(dirname(from), specifier.replace(/\.js$/, ''));
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts'), join(base, 'index.tsx')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  return null;
}

/** Every relative import between files of src/, with where it is written. */
function imports(): Import[] {
  return sources(SRC).flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    const found: Import[] = [];
    for (const m of text.matchAll(SPECIFIER)) {
      const target = resolveFile(file, m[1] ?? m[2] ?? '');
      // A path out of src/ (the Worker's .wasm in node_modules) is a package, not a layer.
      if (!target || relative(SRC, target).startsWith('..')) continue;
      const line = text.slice(0, m.index).split('\n').length;
      found.push({ from: relative(SRC, file), to: relative(SRC, target), line });
    }
    return found;
  });
}

const roomOf = (file: string): string => {
  const [first = '', ...rest] = file.split('/');
  return rest.length ? first : first.replace(/\.tsx?$/, '');
};

function upward(all: readonly Import[]): string[] {
  const layer = (room: string) => LAYERS.indexOf(room as (typeof LAYERS)[number]);
  return all.flatMap(({ from, to, line }) => {
    const [a, b] = [roomOf(from), roomOf(to)];
    if (a === b) return [];
    if (layer(a) < 0) return [`src/${from}: room "${a}" has no layer`];
    if (layer(b) < 0) return [`src/${from}:${line} imports src/${to}: room "${b}" has no layer`];
    return layer(b) < layer(a) ? [] : [`src/${from}:${line} imports src/${to} (${a} → ${b} runs up)`];
  });
}

/** Strongly connected groups of folders (any depth) that import each other, as "a ↔ b ↔ …". */
function folderCycles(all: readonly Import[]): string[] {
  const edges = new Map<string, Set<string>>();
  // A top-level file (app.ts, deps.ts) is a room of its own, not a part of a "src" folder.
  const folder = (file: string) => (file.includes('/') ? dirname(file) : roomOf(file));
  for (const { from, to } of all) {
    const [a, b] = [folder(from), folder(to)];
    if (a === b) continue;
    if (!edges.has(a)) edges.set(a, new Set());
    edges.get(a)?.add(b);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[] = [];
  let counter = 0;
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
      onStack.delete(w);
      group.push(w);
      if (w === v) break;
    }
    if (group.length > 1) groups.push(group.sort().join(' ↔ '));
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return groups.sort();
}

describe('layers', () => {
  const all = imports();

  it('reads the imports of the sources', () => {
    expect(all.length).toBeGreaterThan(300);
  });

  it('only look down: no import runs up a layer (or across to a room of the same layer)', () => {
    const found = upward(all);
    if (process.env.ARCH_REPORT) console.log(`upward imports: ${found.length}\n${found.join('\n')}`);
    expect(found).toEqual([]);
  });

  it('leave no two folders importing each other, at any depth', () => {
    const found = folderCycles(all);
    if (process.env.ARCH_REPORT) console.log(`folder cycles: ${found.length}\n${found.join('\n')}`);
    expect(found).toEqual([]);
  });
});
