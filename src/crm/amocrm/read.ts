/**
 * Reading amoCRM's answers, shared by the adapter's delivery half and its live half: a body
 * checked against its schema (an unexpected shape is a CrmError, the request having been sent),
 * and the digits amoCRM matches phone numbers by.
 * @module
 */
import type * as z from 'zod';
import { CrmError } from '../port';

/** The digits amoCRM matches numbers by: the last 10 (all of them when there are fewer). */
export function last10(phone: string): string {
  return phone.replace(/\D/g, '').slice(-10);
}

/** The answer's data in the schema's shape, or the CrmError saying amoCRM answered something else. */
export function parseAnswer<T extends z.ZodType>(schema: T, data: unknown, what: string): z.output<T> {
  const result = schema.safeParse(data);
  if (!result.success) {
    throw new CrmError({ kind: 'unavailable', sent: true, status: 200, detail: `unexpected ${what} from amoCRM: ${result.error.issues[0]?.message ?? ''}` });
  }
  return result.data;
}
