/**
 * `retention:` in the integrator config: how long call data is kept. Recordings have their own
 * `recordings.retention_days`; this deletes the whole call — legs, recordings, deliveries, the
 * bodies that carried it — once it ended longer ago than `calls_days`. Calls under legal hold are
 * never deleted.
 * @module
 */
import * as z from 'zod';

export const retentionConfigSchema = z
  .strictObject({
    calls_days: z
      .number()
      .int()
      .min(1)
      .max(36500)
      .nullable()
      .default(null)
      .describe('Days a call (its legs, recordings, deliveries and stored bodies) is kept after it ended; null keeps calls forever'),
  })
  .prefault({})
  .describe('How long call data is kept; calls under legal hold are kept whatever their age');

export type RetentionConfig = z.output<typeof retentionConfigSchema>;
