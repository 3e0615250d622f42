/**
 * zod issues of a config file as problems a person can act on, each with its path. zod reports
 * all unknown keys of an object as one issue on the object; here each becomes its own problem on
 * its own path, with the closest key the object does know: `crm.fieldz: unknown key — did you
 * mean "fields"?`. The known keys come from walking the schema along the path.
 * @module
 */
import type * as z from 'zod';
import { formatPath } from './errors';
import { suggest } from './suggest';

export interface ConfigIssue {
  path: PropertyKey[];
  message: string;
}

export function configIssues(error: z.ZodError, schema: z.ZodType): ConfigIssue[] {
  return error.issues.flatMap((issue): ConfigIssue[] => {
    if (issue.code !== 'unrecognized_keys') return [{ path: issue.path, message: issue.message }];
    const known = objectKeys(schemaAt(schema, issue.path));
    return issue.keys.map((key) => {
      const guess = suggest(key, known);
      return { path: [...issue.path, key], message: `unknown key${guess ? ` — did you mean "${guess}"?` : ''}` };
    });
  });
}

/** `path: message` lines, as ConfigError lists them. */
export function describeConfigIssues(error: z.ZodError, schema: z.ZodType): string[] {
  return configIssues(error, schema).map((i) => `${formatPath(i.path) || '(root)'}: ${i.message}`);
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
}

const def = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The object schema at a path (through defaults, optionals, pipes, unions, records, arrays). */
function schemaAt(schema: z.ZodType | undefined, path: readonly PropertyKey[]): z.ZodType | undefined {
  let current = unwrap(schema);
  for (const key of path) {
    if (!current) return undefined;
    const d = def(current);
    if (d.type === 'object') current = d.shape?.[String(key)];
    else if (d.type === 'record') current = d.valueType;
    else if (d.type === 'array') current = d.element;
    else if (d.type === 'union') current = d.options?.map((o) => schemaAt(o, [key])).find(Boolean);
    else return undefined;
    current = unwrap(current);
  }
  // A union of a number and an object (extensions: 101 or {user}): the object's keys.
  if (current && def(current).type === 'union')
    return def(current)
      .options?.map(unwrap)
      .find((o) => o && def(o).type === 'object');
  return current;
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  for (let guard = 0; current && guard < 20; guard++) {
    const d = def(current);
    if (d.innerType) current = d.innerType;
    else if (d.type === 'pipe' && d.in) current = d.in;
    else break;
  }
  return current;
}

function objectKeys(schema: z.ZodType | undefined): string[] {
  return schema && def(schema).type === 'object' ? Object.keys(def(schema).shape ?? {}) : [];
}
