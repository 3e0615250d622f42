/**
 * `reconcile:` in the integrator config: when the nightly run starts (local time), how long one
 * slice of a run may work before it pauses (and resumes from the next tick), and where to send an
 * alert when gaps remain or the CRM stopped us.
 * @module
 */
import * as z from 'zod';

export const reconcileConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Run the nightly reconciliation'),
    time: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24 h), e.g. "02:30"')
      .default('02:30')
      .describe('When the nightly run starts, in time_zone; it covers the day before'),
    budget_seconds: z.number().int().min(10).max(3600).default(600).describe('Work per slice before a run pauses and resumes'),
    alert_webhook_url: z
      .string()
      .url()
      .regex(/^https?:\/\//, 'expected an http(s) URL')
      .nullable()
      .default(null)
      .describe('Slack-compatible incoming webhook: {"text": …} when gaps remain or the CRM is blocked or unauthorized'),
  })
  .prefault({});

export type ReconcileConfig = z.output<typeof reconcileConfigSchema>;
