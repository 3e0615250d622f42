/**
 * The `crm.bitrix24` section of the integrator config: how calltrail reaches one Bitrix24 portal
 * through an inbound webhook (`https://<portal>/rest/<user>/<token>/`) with the telephony and crm
 * scopes, and how it registers calls there.
 *
 * The webhook URL carries its secret in the path, so it is normally given as `{env: NAME}` and
 * resolved at the edge (the Node entry or the Workers bindings); a literal URL is accepted for
 * local trials. Bitrix24's cloud allows 2 requests per second sustained (leaky bucket, 50 in
 * reserve; Enterprise 5/250), so the pace defaults to 2.
 * @module
 */
import * as z from 'zod';

/** `https://<portal>/rest/<user id>/<webhook code>/` (the trailing slash is optional). */
const WEBHOOK_URL = /^https:\/\/[^/\s]+\/rest\/\d+\/[A-Za-z0-9_]+\/?$/;

const webhookUrl = z.string().regex(WEBHOOK_URL, {
  message: 'expected the inbound webhook URL Bitrix24 shows, such as https://example.bitrix24.ru/rest/1/abc123def456/',
});

/** A secret kept out of the config file: the name of an environment variable (Workers: a secret binding). */
export const envSecret = z.strictObject({ env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name such as BITRIX24_WEBHOOK_URL') });

export const bitrix24ConfigSchema = z
  .strictObject({
    webhook_url: z
      .union([webhookUrl, envSecret], { error: 'expected the webhook URL, or {env: NAME} naming the variable that holds it' })
      .describe('Inbound webhook with the telephony and crm scopes; {env: NAME} keeps it out of the file'),
    default_user_id: z.number().int().positive().describe('Bitrix24 user that registers calls whose extension maps to nobody'),
    extension_as_inner_phone: z
      .boolean()
      .default(true)
      .describe('Register a call of an unmapped extension as USER_PHONE_INNER (the internal number set on the Bitrix24 user)'),
    crm_create: z
      .boolean()
      .default(true)
      .describe('Let Bitrix24 create a lead for a number it does not know (CRM_CREATE=1); false leaves unknown numbers to unknown_callers'),
    crm_source: z.string().min(1).nullable().default(null).describe('CRM_SOURCE (a STATUS_ID of the SOURCE list) for leads Bitrix24 creates'),
    line_number: z.string().min(1).nullable().default(null).describe('LINE_NUMBER of the external line the calls belong to'),
    add_to_chat: z.boolean().default(false).describe("Post a message about each call in the user's chat"),
    rps: z.number().min(0.5).max(5).default(2).describe('Requests per second (Bitrix24 cloud: 2, Enterprise: 5)'),
    batch_size: z.number().int().min(1).max(50).default(10).describe('Calls per delivery round; each costs 2–3 requests'),
    timeout_ms: z.number().int().min(1000).max(120_000).default(20_000),
  })
  .describe('Bitrix24 through an inbound webhook');

export type Bitrix24Config = z.output<typeof bitrix24ConfigSchema>;

/**
 * The webhook URL itself, with a trailing slash. `env` reads the environment at the edge;
 * an unset variable is an error that names it.
 */
export function resolveWebhookUrl(config: Pick<Bitrix24Config, 'webhook_url'>, env: (name: string) => string | undefined): string {
  const value = typeof config.webhook_url === 'string' ? config.webhook_url : env(config.webhook_url.env);
  if (value === undefined || value === '') {
    throw new Error(`crm.bitrix24.webhook_url: the environment variable ${typeof config.webhook_url === 'string' ? '' : config.webhook_url.env} is not set`);
  }
  const parsed = webhookUrl.safeParse(value.trim());
  if (!parsed.success) throw new Error(`crm.bitrix24.webhook_url: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data.endsWith('/') ? parsed.data : `${parsed.data}/`;
}
