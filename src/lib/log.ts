/**
 * Structured JSON logs, one line per record, with phone numbers masked to their last 4 digits
 * and secrets removed — wherever they hide (messages, nested fields, error texts).
 * @module
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** Seven or more digits, possibly with +, spaces, dashes or brackets between them. */
const PHONE_LIKE = /\+?\(?\d(?:[\s\-()]*\d){6,}/g;
const SECRET_KEY = /secret|token|password|passwd|authorization|signature|cookie|api[-_]?key|salt/i;
/** user:password@ in URLs. */
const URL_CREDENTIALS = /\/\/([^:/@\s]+):[^@/\s]+@/g;
/** UUIDs, hex digests and ISO times are not phone numbers. */
const DATE = String.raw`(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])`;
const ID_LIKE = new RegExp(
  [
    String.raw`\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`,
    String.raw`\b[0-9a-f]{16,}\b`,
    // 2026-11-20T10:00:00.000Z, or a bare date that is not glued to more digits
    String.raw`\b${DATE}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?`,
    String.raw`(?<![\d\s\-()+])${DATE}(?![\d\-])`,
  ].join('|'),
  'gi',
);

export function maskText(text: string): string {
  const ids: string[] = [];
  const shielded = text.replace(ID_LIKE, (m) => `\u0000${ids.push(m) - 1}\u0000`);
  return shielded
    .replace(URL_CREDENTIALS, '//$1:***@')
    .replace(PHONE_LIKE, (m) => `***${m.replace(/\D/g, '').slice(-4)}`)
    .replace(/\u0000(\d+)\u0000/g, (_, i: string) => ids[Number(i)] ?? '');
}

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskText(value);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Error) {
    return {
      name: value.name,
      message: maskText(value.message),
      ...(value.stack ? { stack: maskText(value.stack) } : {}),
      ...(value.cause !== undefined && depth < 4 ? { cause: redact(value.cause, depth + 1) } : {}),
    };
  }
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

export function createLogger(options: { level?: LogLevel; base?: Record<string, unknown>; write?: (line: string, level: LogLevel) => void } = {}): Logger {
  const min = RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => console.log(line));
  const base = options.base ?? {};
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < min) return;
    const record = redact({ level, time: new Date().toISOString(), msg, ...base, ...fields }) as object;
    write(JSON.stringify(record), level);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...options, base: { ...base, ...fields } }),
  };
}

/** A logger that keeps its lines, for tests that assert on what was (not) logged. */
export function memoryLogger(level: LogLevel = 'debug'): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLogger({ level, write: (l) => lines.push(l) }), { lines });
}

/**
 * One line for an error worth storing (inbox error, delivery last_error): the root cause first,
 * then where it happened. Query parameters are left out — they hold phone numbers.
 */
export function describeError(error: unknown): string {
  const chain: unknown[] = [];
  for (let e: unknown = error; e !== undefined && e !== null && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e);
  const text = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\nparams:')[0] ?? '';
  const root = chain.at(-1);
  const rootText = `${root instanceof Error && root.name !== 'Error' ? `${root.name}: ` : ''}${text(root)}`;
  const where = chain.length > 1 ? ` (${text(chain[0]).slice(0, 300)})` : '';
  return `${rootText}${where}`.slice(0, 2000);
}
