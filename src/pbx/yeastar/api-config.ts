/**
 * `sources.yeastar.api`: how calltrail reaches the PBX's own API to download recordings it names
 * by file only. Two API families: S-Series and Cloud PBX ("API v2.0.0": login with the MD5 of the
 * API password, a token; `recording/get_random`, then `recording/download`) and P-Series, every
 * edition ("OpenAPI v1.0": `get_token` with the Client ID and Secret; `recording/download` gives a
 * `download_resource_url`). The password sits in the config file like the FreePBX database URL's;
 * the admin console hides it.
 * @module
 */
import * as z from 'zod';

export const YEASTAR_EDITIONS = ['s-series', 'p-series'] as const;

export const yeastarApiSchema = z
  .strictObject({
    edition: z
      .enum(YEASTAR_EDITIONS, { error: `expected one of ${YEASTAR_EDITIONS.join(', ')}` })
      .describe('s-series: S-Series and Cloud PBX (API v2.0.0); p-series: P-Series, any edition (OpenAPI v1.0)'),
    base_url: z
      .string()
      .regex(/^https?:\/\/[^\s/?#@]+(\/[^\s?#]*)?$/i, 'expected the PBX\'s address, such as "https://192.168.5.150:8088"')
      .transform((v) => v.replace(/\/+$/, ''))
      .describe(
        'The PBX\'s web address (its API port): "https://192.168.5.150:8088", "https://yourcompany.ras.yeastar.com". ' +
          'Its certificate must be one Node trusts (NODE_EXTRA_CA_CERTS for a self-signed one). A LAN address is allowed ' +
          'for these requests only.',
      ),
    username: z.string().min(1).max(256).describe('S-Series: the API user name; P-Series: the Client ID'),
    password: z.string().min(1).max(256).describe('S-Series: the API password (calltrail sends its MD5); P-Series: the Client Secret'),
    login_fields: z
      .record(z.string().regex(/^[a-z_]{1,32}$/, 'expected a login parameter name such as "url"'), z.string().max(512))
      .default({})
      .describe(
        'S-Series only: sent with every login as they are. Its login also tells the PBX where to send events (port, ' +
          'url, urltag, version): give the values your event delivery already uses, or the login may redirect it.',
      ),
  })
  .describe("the PBX's API, to download recordings it names by file only (without recording_url)");

export type YeastarApiConfig = z.output<typeof yeastarApiSchema>;
