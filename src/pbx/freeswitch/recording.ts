/**
 * FreeSWITCH has no standard recording field: dialplans put the file's location in channel
 * variables (FusionPBX: record_path + record_name). Which variables, and how a path on the PBX
 * becomes a URL a CRM can play, is configuration, checked when the config loads.
 * @module
 */
import * as z from 'zod';
import { PLACEHOLDER, urlTemplateSchema } from '../core/url-template';

export const recordingVariablesSchema = z
  .array(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected a channel variable name such as "record_path"'))
  .min(1, 'expected at least one variable')
  .max(4);

export const recordingUrlTemplateSchema = urlTemplateSchema({
  known: ['path', 'file'],
  use: 'use {path} or {file}',
  missing: (names) => (names.includes('path') || names.includes('file') ? null : 'expected {path} (the full path on the PBX) or {file} (its last part)'),
  target: /^https?:\/\/[^\s{}/][^\s]*$/i,
  expected: 'expected an http(s) URL such as "https://pbx.example/recordings{path}"',
});

/** FreeSWITCH on Windows names its directories with a drive and backslashes (C:\Program Files\FreeSWITCH\recordings). */
const WINDOWS_DRIVE = /^[A-Za-z]:[\\/]/;

/**
 * The path the variables name, joined with "/": null unless every variable is set and the
 * result is an absolute path that climbs no directory. A Windows path keeps its drive and gets
 * forward slashes ("C:/Program Files/FreeSWITCH/recordings/…"). The values arrive URL-decoded
 * (mod_json_cdr's encode-values is undone by the parser).
 */
export function recordingPath(values: (string | undefined)[]): string | null {
  if (values.some((v) => v === undefined || v.trim() === '')) return null;
  const joined = values.map((v) => (v as string).trim()).join('/');
  const windows = WINDOWS_DRIVE.test(joined);
  const path = (windows ? joined.replace(/\\/g, '/') : joined).replace(/\/{2,}/g, '/');
  if (!(windows || path.startsWith('/')) || path.split('/').some((part) => part === '..' || part === '.')) return null;
  return /[\0\r\n]/.test(path) ? null : path;
}

/**
 * The recording's URL by the template, or the path itself without one. `{path}` is the path from
 * its root, each segment URL-encoded — for a Windows path, from the root of its drive (the drive
 * letter is no part of a URL); `{file}` is its last segment.
 */
export function recordingLocation(template: string | undefined, path: string): string {
  if (!template) return path;
  const fromRoot = WINDOWS_DRIVE.test(path) ? path.slice(2) : path;
  const encodedPath = fromRoot.split('/').map(encodeURIComponent).join('/');
  const file = encodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
  return template.replace(PLACEHOLDER, (_, name: string) => (name === 'path' ? encodedPath : file));
}
