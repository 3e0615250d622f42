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
import { suggest } from './suggest';

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
  'phone',
  'phone_raw',
  'extension',
  'direction',
  'outcome',
  'started_at',
  'duration',
  'total_duration',
  'uniq',
  'call_id',
  'user_id',
  'department',
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

/**
 * Parses and checks a template; throws TemplateError naming the problem. `variables`: the names
 * it may use (the CRM request templates of crm/generic add their own to the call's).
 */
export function compileTemplate(text: string, variables: readonly string[] = TEMPLATE_VARIABLES): Template[] {
  const key = variables === TEMPLATE_VARIABLES ? text : `${variables.join(',')}\u0000${text}`;
  const hit = compiled.get(key);
  if (hit) return hit;
  let templates: Template[];
  try {
    templates = engine.parse(text);
  } catch (error) {
    throw syntaxError((error as Error).message, text);
  }
  for (const [name, uses] of Object.entries(engine.analyzeSync(templates).globals)) {
    const at = where(text, uses[0]?.location);
    if (!(variables as readonly string[]).includes(name)) {
      const guess = suggest(name, variables);
      throw new TemplateError(`unknown variable {{${name}}}${guess ? ` — did you mean {{${guess}}}?` : ''}${at}`);
    }
    // Every variable is a plain value: a property of one is a typo or a probe.
    const path = uses.map(String).find((p) => p !== name);
    if (path !== undefined) throw new TemplateError(`{{${path}}}: ${name} has no properties; use {{${name}}} with a filter${at}`);
  }
  compiled.set(key, templates);
  return templates;
}

export function renderTemplate(text: string, vars: CallVariables, timeZone: string): string {
  return engine.renderSync(compileTemplate(text), { ...vars, __time_zone: timeZone }).trim();
}

/** Renders a template checked against its own variable names (no trimming: the text is data). */
export function renderTemplateWith(text: string, vars: object, variables: readonly string[], timeZone: string): string {
  return engine.renderSync(compileTemplate(text, variables), { ...vars, __time_zone: timeZone });
}

/** The value of one Liquid expression (`duration | times: 1000`), its type kept. */
export function evaluateExpression(expression: string, vars: object, timeZone: string): unknown {
  return engine.evalValueSync(expression, { ...vars, __time_zone: timeZone });
}

/**
 * LiquidJS's parse errors end in ", line:L, col:C"; an unknown filter gets a suggestion, and the
 * position is said the way a person counts it.
 */
function syntaxError(message: string, text: string): TemplateError {
  const position = /, line:(\d+), col:(\d+)$/.exec(message);
  const bare = position ? message.slice(0, position.index) : message;
  const at = position ? where(text, { row: Number(position[1]), col: Number(position[2]) }, true) : '';
  const filter = /^undefined filter: (\S+)$/.exec(bare);
  if (!filter?.[1]) return new TemplateError(`${bare}${at}`);
  const guess = suggest(filter[1], Object.keys(engine.filters));
  return new TemplateError(`unknown filter "${filter[1]}"${guess ? ` — did you mean "${guess}"?` : ''}${at}`);
}

/** " (column 7)" — said for syntax errors and for templates of several lines, where it helps. */
function where(text: string, location: { row: number; col: number } | undefined, always = false): string {
  if (!location) return '';
  if (text.includes('\n')) return ` (line ${location.row}, column ${location.col})`;
  return always ? ` (column ${location.col})` : '';
}
