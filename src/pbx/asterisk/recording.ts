/**
 * Where a CDR's recording is. Asterisk and FreePBX keep only a file name (`recordingfile`, or
 * whatever the dialplan put in `userfield`); a per-source template turns it into an http(s) URL
 * or a path on the PBX host:
 *
 *   recording_url: "https://pbx.example/monitor/{{year}}/{{month}}/{{day}}/{{file}}"
 *
 * `{{file}}` is the name without directories; `{{year}}/{{month}}/{{day}}` the date the
 * recording started — read from the FreePBX-style name (`…-20250327-092517-….wav`) when it has
 * one, else the leg's start in the source's time zone (FreePBX files its recordings by that date);
 * `{{uniqueid}}`, `{{linkedid}}` too. A plain substitution on purpose: the template is data from
 * the config, and the values are URL-encoded when the template is a URL.
 * @module
 */
import { DateTime } from 'luxon';
import * as z from 'zod';
import type { RecordingRef } from '../../domain/events';

export const RECORDING_PLACEHOLDERS = ['file', 'year', 'month', 'day', 'uniqueid', 'linkedid'] as const;
type Placeholder = (typeof RECORDING_PLACEHOLDERS)[number];

const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;

export const recordingUrlSchema = z
  .string()
  .max(1024)
  .superRefine((template, ctx) => {
    if (!/^https?:\/\/[^\s/]+/i.test(template) && !template.startsWith('/')) {
      ctx.addIssue({ code: 'custom', message: 'expected an http(s) URL or an absolute path on the PBX host' });
    }
    const names = [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
    for (const name of names) {
      if (!(RECORDING_PLACEHOLDERS as readonly string[]).includes(name)) {
        ctx.addIssue({ code: 'custom', message: `unknown placeholder {{${name}}}; known: ${RECORDING_PLACEHOLDERS.map((p) => `{{${p}}}`).join(' ')}` });
      }
    }
    if (!names.includes('file')) ctx.addIssue({ code: 'custom', message: 'the template needs {{file}}' });
  })
  .describe('Recording file name → URL or path, e.g. "https://pbx.example/monitor/{{year}}/{{month}}/{{day}}/{{file}}"');

/** FreePBX's MixMonitor directory layout; plain Asterisk writes into the directory itself. */
export const FREEPBX_RECORDING_PATH = '/var/spool/asterisk/monitor/{{year}}/{{month}}/{{day}}/{{file}}';
export const ASTERISK_RECORDING_PATH = '/var/spool/asterisk/monitor/{{file}}';

/** Files this small are a WAV header and nothing else (MixMonitor on a call nobody spoke on). */
export const EMPTY_WAV_BYTES = 44;

export interface RecordingOptions {
  /** The source's template, when the integrator set one. */
  template: string | undefined;
  /** Used for bare names when no template is set. */
  defaultTemplate: string;
  /** At or below this size (when known) a file counts as no recording. */
  emptyBytes: number;
}

export interface RecordingFacts {
  /** The name as the CDR has it. */
  name: string;
  /** Its size, when whoever read the CDR could see the file. */
  bytes?: number | undefined;
  startedAt: Date;
  timeZone: string;
  uniqueid: string;
  linkedid: string;
}

/** The recording a CDR names, or null when it names none. */
export function recordingFor(facts: RecordingFacts, options: RecordingOptions): RecordingRef | null {
  const name = facts.name.trim();
  const file = name.split('/').pop() ?? '';
  if (file === '' || file === '.' || file === '..') return null;
  let url: string;
  if (/^https?:\/\//i.test(name)) url = name;
  // Some FreePBX versions store the whole path; without a template of our own it is the answer.
  else if (name.startsWith('/') && options.template === undefined) url = name;
  else url = fill(options.template ?? options.defaultTemplate, file, facts);
  const empty = facts.bytes !== undefined && facts.bytes <= options.emptyBytes;
  return { key: file, url, status: empty ? 'absent' : 'referenced' };
}

function fill(template: string, file: string, facts: RecordingFacts): string {
  let date: ReturnType<typeof recordingDate> | undefined;
  // Only templates that file by date pay for working the date out.
  const day = () => (date ??= recordingDate(file, facts.startedAt, facts.timeZone));
  const value = (name: Placeholder): string => {
    switch (name) {
      case 'file':
        return file;
      case 'year':
      case 'month':
      case 'day':
        return day()[name];
      case 'uniqueid':
        return facts.uniqueid;
      case 'linkedid':
        return facts.linkedid || facts.uniqueid;
    }
  };
  const encode = /^https?:/i.test(template) ? encodeURIComponent : (v: string) => v;
  return template.replace(PLACEHOLDER, (_m, name: string) => encode(value(name as Placeholder)));
}

/** `in-…-101-20250327-092517-1743042317.12206.wav` carries the recording's own local date. */
function recordingDate(file: string, startedAt: Date, timeZone: string) {
  const stamp = /-(\d{4})(\d{2})(\d{2})-\d{6}-/.exec(file);
  if (stamp && Number(stamp[2]) >= 1 && Number(stamp[2]) <= 12 && Number(stamp[3]) >= 1 && Number(stamp[3]) <= 31) {
    return { year: stamp[1] ?? '', month: stamp[2] ?? '', day: stamp[3] ?? '' };
  }
  const local = DateTime.fromJSDate(startedAt, { zone: timeZone });
  return { year: local.toFormat('yyyy'), month: local.toFormat('MM'), day: local.toFormat('dd') };
}
