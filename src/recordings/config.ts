/**
 * `recordings:` in the integrator config: where recordings may be fetched from (per source), how
 * long they are kept (with per-extension and per-department overrides), and which extensions'
 * or departments' recordings must never reach the CRM.
 * @module
 */
import * as z from 'zod';

const host = z.string().regex(/^(\*\.)?[^\s/:@*[\]]+$|^\[[0-9a-f:.]+\]$/i, 'expected a host name ("pbx.example.com"), "*.example.com", or an IP literal');

/** Hosts the vendors' own recording links point at, allowed without configuration. */
export const VENDOR_RECORDING_HOSTS: Readonly<Record<string, readonly string[]>> = {
  twilio: ['api.twilio.com'],
  zadarma: ['*.zadarma.com'],
};

const retentionRule = z
  .strictObject({
    extensions: z.array(z.string().min(1)).default([]),
    departments: z.array(z.string().min(1)).default([]),
    days: z.number().int().min(1).max(36500),
  })
  .refine((r) => r.extensions.length + r.departments.length > 0, { message: 'name at least one extension or department' });

export const recordingsConfigSchema = z
  .strictObject({
    allowed_hosts: z
      .record(z.string(), z.array(host))
      .default({})
      .describe('Per source, the hosts recording URLs may point at (Twilio and Zadarma links are allowed by default)'),
    allow_private_hosts: z
      .boolean()
      .default(false)
      .describe('Allow LAN, loopback and link-local addresses (a PBX next to a Node deployment); off by default (SSRF)'),
    local_paths: z
      .array(z.string().regex(/^\/.+/, 'expected an absolute directory'))
      .default([])
      .describe('Node only: recordings given as file paths are read when they lie under one of these directories'),
    max_mb: z.number().int().min(1).max(2048).default(200).describe('Largest recording fetched, in MB'),
    timeout_seconds: z.number().int().min(5).max(3600).default(120),
    retention_days: z.number().int().min(1).max(36500).default(1095).describe('Days an archived recording is kept (3 years)'),
    retention: z.array(retentionRule).default([]).describe('Overrides for extensions or departments; the first match wins'),
    link_ttl_days: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .nullable()
      .default(null)
      .describe('Days a recording link written into a CRM note works (for CRMs that refresh links); null: links do not expire'),
    link_requests_per_minute: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(120)
      .describe('Requests a minute one recording link may make, per process (range requests count; beyond it 429); 0: no limit'),
    sync: z
      .strictObject({
        exclude_extensions: z.array(z.string().min(1)).default([]),
        exclude_departments: z.array(z.string().min(1)).default([]),
      })
      .prefault({})
      .describe('Recordings of these extensions or departments are not fetched and never linked from the CRM'),
  })
  .prefault({});

export type RecordingsConfig = z.output<typeof recordingsConfigSchema>;

/** The hosts recordings of a source may come from: configured plus the vendor's own. */
export function allowedHostsFor(config: RecordingsConfig, source: string): string[] {
  return [...(config.allowed_hosts[source] ?? []), ...(VENDOR_RECORDING_HOSTS[source] ?? [])];
}

/** Days to keep a call's recording: the first override naming its extension or department. */
export function retentionDays(config: RecordingsConfig, extension: string | null, department: string | null): number {
  const rule = config.retention.find(
    (r) => (extension !== null && r.extensions.includes(extension)) || (department !== null && r.departments.includes(department)),
  );
  return rule?.days ?? config.retention_days;
}

export function syncExcluded(config: RecordingsConfig, extension: string | null, department: string | null): boolean {
  return (
    (extension !== null && config.sync.exclude_extensions.includes(extension)) || (department !== null && config.sync.exclude_departments.includes(department))
  );
}
