/**
 * The integrator's config file (CONFIG_FILE, JSON or YAML; on Workers the CONFIG var).
 * Unknown keys are errors, so a typo never silently falls back to a default.
 * @module
 */
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { DEFAULT_MAX_CALL_SECONDS } from '../domain/admit';
import { sourcesConfigSchema } from '../pbx/sources-config';
import { recordingsConfigSchema } from '../recordings/config';
import { retentionConfigSchema } from '../privacy/config';
import { checkBitrix24 } from '../crm/bitrix24/check';
import { crmConfigSchema } from '../crm/config';
import { checkCrmAdapter } from '../crm/generic/config';
import { reconcileConfigSchema } from '../reconcile/config';
import { liveConfigSchema } from '../live/config';
import { countryCodeSchema, timeZoneSchema } from '../config/common';
import { ConfigError } from '../config/errors';
import { describeConfigIssues } from '../config/issues';
import { compileTemplate, TemplateError } from '../config/template';

/** A CRM user id (amoCRM user ids are integers). */
const userId = z.number().int().positive();

/** A Liquid template over the call's variables, checked at load (see template.ts). */
const template = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .superRefine((text, ctx) => {
      try {
        compileTemplate(text);
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message });
      }
    });

const unknownCallerPolicy = z
  .enum(['contact', 'unsorted', 'skip'])
  .describe(
    'contact: create the contact with the number, then log the call; unsorted: file an unknown-caller lead (Unsorted); skip: leave it out of the CRM, listed with the reason',
  );

const callResult = (status: number, text: string) =>
  z
    .strictObject({
      status: z.number().int().min(1).max(7).nullable().default(status).describe('amoCRM call_status: 1 left a message … 4 talked … 7 busy'),
      text: z.string().max(255).default(text).describe('call_result shown on the note'),
    })
    .prefault({});

const extensionEntry = z.union(
  [
    userId,
    z.strictObject({
      user: userId.optional().describe('CRM user responsible for calls of this extension'),
      department: z.string().min(1).optional(),
    }),
  ],
  { error: 'expected a CRM user id (a positive integer) or {"user": id, "department": name}' },
);

export const integratorConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    default_country: countryCodeSchema.default('RU'),
    time_zone: timeZoneSchema.default('Europe/Moscow'),
    extension_pattern: z
      .string()
      .default('^\\d{2,5}$')
      .refine(isRegExp, { message: 'expected a regular expression matching internal extensions' })
      .describe('Numbers matching this are internal extensions, never matched to CRM contacts'),
    lines: z
      .record(
        z.string().regex(/^\+?[\d\s().-]{3,32}$/, 'expected our phone number (a DID) such as "+7 495 123-45-67"'),
        z.strictObject({
          default_country: countryCodeSchema.optional().describe('National numbers of calls on this line belong to this country (default: default_country)'),
          pop_users: z
            .array(userId)
            .optional()
            .describe('CRM users shown every ringing call of this line (default: the users mapped from the ringing extensions)'),
          unknown_callers: z
            .strictObject({ inbound: unknownCallerPolicy.optional(), outbound: unknownCallerPolicy.optional() })
            .optional()
            .describe("This line's unknown-caller policy (default: unknown_callers)"),
          pipeline_id: z.number().int().positive().optional().describe('amoCRM pipeline of the leads created for calls of this line'),
          status_id: z.number().int().positive().optional().describe('amoCRM status (stage) of those leads'),
        }),
      )
      .default({})
      .describe('Per line (our number a call comes in on or goes out from): how its calls are read'),
    extensions: z
      .record(z.string().regex(/^[0-9A-Za-z*#+_-]{1,20}$/, 'expected an extension such as "101"'), extensionEntry)
      .default({})
      .describe('Extension → CRM user id, or {user, department}'),
    default_user: userId.nullable().default(null).describe('Responsible user for calls whose extension is not mapped'),
    max_call_seconds: z
      .number()
      .int()
      .min(60)
      .max(31 * 86_400)
      .default(DEFAULT_MAX_CALL_SECONDS)
      .describe('A call leg longer than this (ended_at − started_at, or the talk time the PBX reports) is refused as bad input (400); default a day'),
    unknown_callers: z
      .strictObject({ inbound: unknownCallerPolicy.default('contact'), outbound: unknownCallerPolicy.default('contact') })
      .prefault({})
      .describe('What happens to a call whose number no CRM contact has'),
    missed_call_tasks: z
      .strictObject({
        enabled: z.boolean().default(false),
        text: template('Call back {{ phone }} (missed at {{ started_at | date: "HH:mm" }})'),
        due_minutes: z
          .number()
          .int()
          .min(0)
          .max(60 * 24 * 30)
          .default(30),
        task_type: z.number().int().positive().default(1).describe('amoCRM task type id; 1 is "call"'),
      })
      .prefault({})
      .describe('A call-back task for the responsible user when an inbound call was missed'),
    call_results: z
      .strictObject({
        answered: callResult(4, 'Conversation'),
        missed: callResult(6, 'Missed call'),
        busy: callResult(7, 'Line busy'),
        failed: callResult(6, 'Call failed'),
      })
      .prefault({})
      .describe('Outcome → amoCRM call_status and call_result'),
    live: liveConfigSchema,
    crm: crmConfigSchema,
    sources: sourcesConfigSchema,
    recordings: recordingsConfigSchema,
    reconcile: reconcileConfigSchema,
    retention: retentionConfigSchema,
  })
  .superRefine(checkCrmAdapter)
  .superRefine(checkBitrix24)
  .describe('calltrail integrator configuration');

export type IntegratorConfig = z.output<typeof integratorConfigSchema>;

function isRegExp(v: string): boolean {
  try {
    new RegExp(v);
    return true;
  } catch {
    return false;
  }
}

/** Defaults for everything: what runs when no config file is given. */
export function defaultIntegratorConfig(): IntegratorConfig {
  return integratorConfigSchema.parse({});
}

/**
 * Parse config text. `name` decides the syntax (.yaml/.yml → YAML, else JSON) and labels errors.
 */
export function parseIntegratorConfig(text: string, name: string): IntegratorConfig {
  return /\.ya?ml$/i.test(name) ? configFromText(text, name, 'YAML', parseYaml) : parseIntegratorJson(text, name);
}

/**
 * JSON config text (the CONFIG variable). The Worker reads only this, so `yaml` stays out of its
 * bundle: it is reached from parseIntegratorConfig alone.
 */
export function parseIntegratorJson(text: string, name: string): IntegratorConfig {
  return configFromText(text, name, 'JSON', JSON.parse);
}

function configFromText(text: string, name: string, syntax: 'YAML' | 'JSON', read: (text: string) => unknown): IntegratorConfig {
  let data: unknown;
  try {
    data = read(text);
  } catch (error) {
    throw new ConfigError(name, [`cannot be read as ${syntax}: ${(error as Error).message}`]);
  }
  const result = integratorConfigSchema.safeParse(data ?? {});
  if (!result.success) throw new ConfigError(name, describeConfigIssues(result.error, integratorConfigSchema));
  return result.data;
}
