/**
 * A Mango request body: form fields vpbx_api_key, sign and json, the event itself being the JSON
 * text of `json`. Problems are reported with a `json.` path, so the sender knows where to look.
 * @module
 */
import type * as z from 'zod';
import { describeIssues } from '../../config/errors';
import { InvalidPayloadError } from '../core/parse';

export function readJson(raw: string): unknown {
  const json = new URLSearchParams(raw).get('json');
  if (json === null || json.trim() === '') throw new InvalidPayloadError(['json: is required (the form field with the event)']);
  try {
    return JSON.parse(json);
  } catch (error) {
    throw new InvalidPayloadError([`json: is not valid JSON: ${(error as Error).message}`]);
  }
}

export function validate<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new InvalidPayloadError(describeIssues(result.error, 'json').map((p) => (p.startsWith('json') ? p : `json.${p}`)));
  }
  return result.data;
}
