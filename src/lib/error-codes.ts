/**
 * Error codes along a cause chain: drivers and ORMs wrap the database's error (drizzle's
 * "Failed query" around postgres.js's PostgresError), and the code worth acting on is inside.
 * @module
 */
export function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
  }
  return codes;
}

/** PostgreSQL and client errors meaning the database cannot be reached or is going away. */
const UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECT_TIMEOUT',
  'CONNECTION_DESTROYED',
  '57P01',
  '57P03',
  '53300',
]);
/** Lost a race with a concurrent transaction: serialization failure, deadlock, unique violation. */
const TRANSIENT_CONFLICT = new Set(['40001', '40P01', '23505']);

export const isDatabaseUnavailable = (error: unknown) => errorCodes(error).some((c) => UNAVAILABLE.has(c));
export const isTransientConflict = (error: unknown) => errorCodes(error).some((c) => TRANSIENT_CONFLICT.has(c));
