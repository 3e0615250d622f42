/**
 * `sources:` in the integrator config — one section per PBX source, each defined beside its
 * source. A source is enabled by its secret (environment) or, for the FreePBX poller, by its
 * database URL here; these sections say how to read what it sends.
 * @module
 */
import { z } from 'zod';
import { asteriskConfigSchema } from './asterisk/config';
import { freepbxConfigSchema } from './freepbx/config';
import { freeswitchConfigSchema } from './freeswitch/config';
import { mangoConfigSchema } from './mango/config';
import { twilioConfigSchema } from './twilio/config';
import { yeastarConfigSchema } from './yeastar/config';
import { zadarmaConfigSchema } from './zadarma/config';

export const sourcesConfigSchema = z
  .strictObject({
    asterisk: asteriskConfigSchema.prefault({}),
    freepbx: freepbxConfigSchema.prefault({}),
    freeswitch: freeswitchConfigSchema.prefault({}),
    zadarma: zadarmaConfigSchema.prefault({}),
    twilio: twilioConfigSchema.prefault({}),
    yeastar: yeastarConfigSchema.prefault({}),
    mango: mangoConfigSchema.prefault({}),
  })
  .prefault({})
  .describe('How each PBX source is read');

export type SourcesConfig = z.output<typeof sourcesConfigSchema>;
