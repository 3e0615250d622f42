/**
 * The `live:` section of the integrator config: screen pops, caller lookups, click-to-call.
 * @module
 */
import * as z from 'zod';

const extension = z.string().regex(/^[0-9A-Za-z*#+_-]{1,20}$/, 'expected an extension such as "101"');

export const liveConfigSchema = z
  .strictObject({
    pop: z
      .strictObject({
        enabled: z.boolean().default(true).describe('Show ringing calls to the CRM users mapped from the ringing extensions'),
        deadline_seconds: z
          .number()
          .min(1)
          .max(60)
          .default(10)
          .describe('A pop that cannot reach the CRM within this many seconds of the ring is dropped, not queued'),
        ring_groups: z
          .record(extension, z.array(extension).min(1))
          .default({})
          .describe('An extension that is a ring group or queue → the extensions of its members (every member gets the pop)'),
      })
      .prefault({}),
    lookup: z
      .strictObject({
        deadline_ms: z
          .number()
          .int()
          .min(50)
          .max(10_000)
          .default(800)
          .describe('On a cache miss the CRM is asked for at most this long; then the PBX gets the default route'),
        fresh_seconds: z
          .number()
          .int()
          .min(10)
          .max(7 * 86_400)
          .default(3600)
          .describe('A cached answer younger than this is used as is; older ones are used and refreshed in the background'),
        default_route: extension.nullable().default(null).describe('Where the PBX sends a caller nobody is responsible for (null: its own default)'),
      })
      .prefault({}),
    route_calls: z
      .boolean()
      .default(false)
      .describe(
        "Answer the PBX's ring notifications that ask (Zadarma NOTIFY_START) with where to send the call: the caller's responsible manager, else lookup.default_route. Off: only the caller's name is given.",
      ),
    originate: z
      .strictObject({
        source: z.string().nullable().default(null).describe('The PBX source that places click-to-call calls (null: the only enabled one that can)'),
      })
      .prefault({}),
  })
  .prefault({})
  .describe('The live half: screen pops while a call rings, caller lookups for routing, click-to-call');

export type LiveConfig = z.output<typeof liveConfigSchema>;
