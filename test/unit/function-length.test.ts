/**
 * No function of src/ (tests aside) is longer than 80 lines, counted from its first line (the
 * signature, or a method's name) to its closing one. Biome's noExcessiveLinesPerFunction guards
 * the same limit while code is written, but counts only a block body's lines: a component whose
 * body is one long JSX expression, or a signature spread over many lines, passes it. This reads
 * every function with the oxc parser and counts them whole.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseSync } from 'oxc-parser';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../../src');
const MAX_LINES = 80;

const sources = (readdirSync(SRC, { recursive: true }) as string[])
  .filter((f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f) && !/\.d\.ts$/.test(f))
  .map((f) => join(SRC, f));

interface Node {
  type: string;
  start: number;
  end: number;
  body?: unknown;
  id?: { name?: string } | null;
  key?: { name?: string };
}

/** Every function of a file with its line count: declarations, expressions, arrows, methods. */
function functionsIn(file: string, text: string): { where: string; lines: number }[] {
  const { program, errors } = parseSync(file, text, { lang: file.endsWith('x') ? 'tsx' : 'ts' });
  if (errors.length) throw new Error(`${file}: ${errors[0]?.message}`);
  const lineAt = (offset: number) => text.slice(0, offset).split('\n').length;
  const found: { where: string; lines: number }[] = [];
  const visit = (node: unknown, parent: Node | null) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const child of node) visit(child, parent);
      return;
    }
    const n = node as Node;
    if (/^(FunctionDeclaration|FunctionExpression|ArrowFunctionExpression)$/.test(n.type) && n.body) {
      const start = parent && /^(MethodDefinition|Property|PropertyDefinition)$/.test(parent.type) ? parent.start : n.start;
      const name = n.id?.name ?? parent?.key?.name ?? (parent?.type === 'VariableDeclarator' ? (parent.id?.name ?? '') : '(anonymous)');
      found.push({ where: `${relative(SRC, file)}:${lineAt(start)} ${name}`, lines: lineAt(n.end) - lineAt(start) + 1 });
    }
    for (const value of Object.values(n)) if (value && typeof value === 'object') visit(value, n);
  };
  visit(program, null);
  return found;
}

describe('function length', () => {
  const all = sources.flatMap((file) => functionsIn(file, readFileSync(file, 'utf8')));

  it(`has no function of src/ over ${MAX_LINES} lines`, () => {
    expect(all.length).toBeGreaterThan(1000);
    expect(all.filter((f) => f.lines > MAX_LINES).map((f) => `${f.where} (${f.lines} lines)`)).toEqual([]);
  });

  it('counts a function whole: a long signature, a method, an expression body', () => {
    const jsx = `const Page = () => (\n  <main>\n${'    <p>x</p>\n'.repeat(90)}  </main>\n);\n`;
    const method = `class A {\n  run(\n    a: number,\n  ): number {\n    return a;\n  }\n}\n`;
    const found = [...functionsIn(join(SRC, 'probe.tsx'), jsx), ...functionsIn(join(SRC, 'probe.ts'), method)];
    expect(found).toEqual([
      { where: 'probe.tsx:1 Page', lines: 94 },
      { where: 'probe.ts:2 run', lines: 5 },
    ]);
  });
});
