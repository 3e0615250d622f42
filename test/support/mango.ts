/**
 * Mango Office fixtures under other ids: the same call told again with every id prefixed, so
 * several runs of one fixture live side by side in one database.
 */
type Json = Record<string, unknown>;

export function renamed(prefix: string, json: Json): Json {
  const out: Json = { ...json };
  for (const field of ['entry_id', 'call_id', 'recording_id']) if (typeof out[field] === 'string') out[field] = `${prefix}${out[field] as string}`;
  const from = out.from as Json | undefined;
  if (from?.taken_from_call_id) out.from = { ...from, taken_from_call_id: `${prefix}${from.taken_from_call_id as string}` };
  return out;
}
