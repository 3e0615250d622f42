/**
 * The parts of a mod_json_cdr document calltrail reads. FreeSWITCH writes every channel variable
 * as a string; `callflow` is an array in current releases and, in older ones, the same "callflow"
 * key repeated (JSON.parse keeps the last, the call's first profile). The rest passes unread.
 * @module
 */
import * as z from 'zod';

const profile = z
  .object({
    caller_id_number: z.string().optional(),
    destination_number: z.string().optional(),
    uuid: z.string().optional(),
    originator: z
      .object({ originator_caller_profiles: z.array(z.object({ uuid: z.string().optional() }).loose()).optional() })
      .loose()
      .optional(),
  })
  .loose();

const callflowEntry = z.object({ caller_profile: profile.optional() }).loose();

export const jsonCdrSchema = z
  .object({
    variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String), {
      error: (issue) => (issue.input === undefined ? 'is required' : 'expected an object of channel variables'),
    }),
    callflow: z.union([z.array(callflowEntry), callflowEntry], { error: 'expected an array of caller profiles' }).optional(),
  })
  .loose();

export type JsonCdr = z.output<typeof jsonCdrSchema>;
export type CallerProfile = z.output<typeof profile>;

/** The profile the leg started with: the last entry (FreeSWITCH lists the newest first). */
export function originalProfile(cdr: JsonCdr): CallerProfile | undefined {
  const flow = cdr.callflow;
  if (!flow) return undefined;
  return Array.isArray(flow) ? flow.at(-1)?.caller_profile : flow.caller_profile;
}
