/**
 * `zod` as the Worker's bundle sees it (wrangler.toml's [alias]; Node uses zod itself).
 *
 * Every export of zod, so `import * as z from 'zod'` — the one way src/ imports it (Biome refuses
 * `{ z }`) — keeps only what the code uses. And a `z` that holds only ZodType: @hono/zod-openapi
 * imports zod's `z` and hands that object to extendZodWithOpenApi, which reads `z.ZodType` alone,
 * yet an object passed around keeps every member of zod in the bundle — its 48 locales (about
 * 270 KB minified) and the JSON-schema code the Worker never runs. Error messages are the same:
 * zod's schemas register the English locale themselves.
 * @module
 */
import { ZodType } from '../../node_modules/zod/v4/classic/external.js';

export * from '../../node_modules/zod/v4/classic/external.js';
export const z = { ZodType };
export default z;
