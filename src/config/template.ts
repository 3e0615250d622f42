/**
 * Templates in the integrator config (contact names, task texts, …): Liquid syntax through
 * LiquidJS, an interpreter that runs on workerd (no eval). `{{ phone }}`,
 * `{{ started_at | date: "YYYY-MM-DD HH:mm" }}`, `{{ duration | mmss }}`.
 *
 * A template is checked when the config loads: an unknown variable or filter is a config error
 * with a suggestion, never a surprise in the middle of a delivery.
 * @module
 */
import { Liquid, type Template } from 'liquidjs';
import { DateTime } from 'luxon';

/** What a call offers to templates. */
export interface CallVariables {
  phone: string;
  phone_raw: string;
  extension: string;
  direction: string;
  outcome: string;
  started_at: Date;
  /** Seconds of conversation. */
  duration: number;
  /** Seconds from the first ring to the end. */
  total_duration: number;
  uniq: string;
  call_id: string;
  user_id: string;
  department: string;
}

export const TEMPLATE_VARIABLES: readonly (keyof CallVariables)[] = [
  'phone', 'phone_raw', 'extension', 'direction', 'outcome', 'started_at', 'duration', 'total_duration', 'uniq',
  'call_id', 'user_id', 'department',
];

export class TemplateError extends Error {}

const engine = new Liquid({ strictFilters: true, strictVariables: true, ownPropertyOnly: true, cache: false });

/** Seconds as m:ss (or h:mm:ss). */
export function mmss(value: unknown): string {
  const total = Math.max(0, Math.round(Number(value) || 0));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Moment-style tokens (YYYY-MM-DD HH:mm) as luxon reads them (yyyy-MM-dd HH:mm). */
function luxonFormat(format: string): string {
  return format.replace(/YYYY|YY|DD|D|dddd|ddd/g, (t) => ({ YYYY: 'yyyy', YY: 'yy', DD: 'dd', D: 'd', dddd: 'cccc', ddd: 'ccc' })[t] ?? t);
}

engine.registerFilter('mmss', mmss);
engine.registerFilter('date', function (this: { context: { environments: Record<string, unknown> } }, value: unknown, format = 'YYYY-MM-DD HH:mm') {
  const zone = (this.context.environments.__time_zone as string | undefined) ?? 'UTC';
  const date = value instanceof Date ? value : new Date(String(value));
  if (Number.isNaN(date.getTime())) return '';
  return DateTime.fromJSDate(date, { zone }).toFormat(luxonFormat(String(format)));
});

const compiled = new Map<string, Template[]>();

/** Parses and checks a template; throws TemplateError naming the problem. */
export function compileTemplate(text: string): Template[] {
  const hit = compiled.get(text);
  if (hit) return hit;
  let templates: Template[];
  try {
    templates = engine.parse(text);
  } catch (error) {
    throw new TemplateError((error as Error).message.replace(/, line:\d+, col:\d+/, ''));
  }
  for (const path of engine.globalFullVariablesSync(templates)) {
    const name = /^[^.[]+/.exec(path)?.[0] ?? path;
    if (!(TEMPLATE_VARIABLES as readonly string[]).includes(name)) {
      const guess = suggest(name);
      throw new TemplateError(`unknown variable {{${name}}}${guess ? ` — did you mean {{${guess}}}?` : ''}`);
    }
    // Every variable is a plain value: a property of one is a typo or a probe.
    if (path !== name) throw new TemplateError(`{{${path}}}: ${name} has no properties; use {{${name}}} with a filter`);
  }
  compiled.set(text, templates);
  return templates;
}

export function renderTemplate(text: string, vars: CallVariables, timeZone: string): string {
  return engine.renderSync(compileTemplate(text), { ...vars, __time_zone: timeZone }).trim();
}

function suggest(name: string): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const candidate of TEMPLATE_VARIABLES) {
    const d = distance(name, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] ?? 0;
      row[j] = Math.min(current + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = current;
    }
  }
  return row[b.length] ?? 0;
}
