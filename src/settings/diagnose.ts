/**
 * Every problem of a config file at once, each with its path and — since YAML is a superset of
 * JSON, for both syntaxes — the line and column of the node it is about. Start-up stops at a bad
 * config with the same problems (integrator.ts); this is the careful reading behind
 * `calltrail config validate`, for an integrator editing the file before a deploy.
 * @module
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { formatPath } from '../config/errors';
import { integratorConfigSchema, type IntegratorConfig } from './integrator';
import { configIssues } from '../config/issues';

export interface ConfigProblem {
  /** `crm.fields.contact[2].value`; empty for the file as a whole. */
  path: string;
  message: string;
  /** 1-based, when the node could be found in the text. */
  line?: number;
  column?: number;
}

export type Diagnosis = { ok: true; config: IntegratorConfig } | { ok: false; problems: ConfigProblem[] };

export const isYamlName = (name: string) => /\.ya?ml$/i.test(name);

export function diagnoseIntegratorConfig(text: string, name: string): Diagnosis {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  let data: unknown;
  if (isYamlName(name)) {
    if (doc.errors.length > 0) {
      return { ok: false, problems: doc.errors.map((e) => ({ path: '', message: `not YAML: ${e.message}`, ...at(lines, e.pos[0]) })) };
    }
    data = doc.toJS();
  } else {
    try {
      data = JSON.parse(text);
    } catch (error) {
      return { ok: false, problems: [{ path: '', message: `not JSON: ${(error as Error).message}` }] };
    }
  }
  const result = integratorConfigSchema.safeParse(data ?? {});
  if (result.success) return { ok: true, config: result.data };
  const problems = configIssues(result.error, integratorConfigSchema).map((issue) => ({
    path: formatPath(issue.path),
    message: issue.message,
    ...(doc.errors.length === 0 ? at(lines, locate(doc, issue.path)) : {}),
  }));
  // In file order, as an editor walks them; those without a place keep zod's order, at the end.
  return { ok: false, problems: problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0)) };
}

/** `calltrail.yaml:14:9: crm.fields.contact[2].value: unknown variable …` */
export function formatProblem(name: string, p: ConfigProblem): string {
  const where = p.line === undefined ? name : `${name}:${p.line}:${p.column}`;
  return `${where}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

function at(lines: LineCounter, offset: number | undefined): { line?: number; column?: number } {
  if (offset === undefined) return {};
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

/**
 * The text offset of the node a path names: the key of a mapping entry (where a person looks for
 * `crm.fieldz`), an item of a list; the nearest existing parent when the path goes further than
 * the file does (a missing key).
 */
function locate(doc: Document, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0];
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(key));
      if (!pair) break;
      offset = (pair.key as Node | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}
