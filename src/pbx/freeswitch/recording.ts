/**
 * FreeSWITCH has no standard recording field: dialplans put the file's location in channel
 * variables (FusionPBX: record_path + record_name). Which variables, and how a path on the PBX
 * becomes a URL a CRM can play, is configuration, checked when the config loads.
 * @module
 */
import { z } from 'zod';

const PLACEHOLDER = /\{([^{}]*)\}/g;

export const recordingVariablesSchema = z
  .array(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected a channel variable name such as "record_path"'))
  .min(1, 'expected at least one variable')
  .max(4);

export const recordingUrlTemplateSchema = z
  .string()
  .max(2048)
  .superRefine((template, ctx) => {
    const names = [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
    for (const name of names) {
      if (name !== 'path' && name !== 'file') ctx.addIssue({ code: 'custom', message: `unknown placeholder {${name}}: use {path} or {file}` });
    }
    if (!names.includes('path') && !names.includes('file')) {
      ctx.addIssue({ code: 'custom', message: 'expected {path} (the full path on the PBX) or {file} (its last part)' });
    }
    if (!/^https?:\/\/[^\s{}/][^\s]*$/i.test(template)) {
      ctx.addIssue({ code: 'custom', message: 'expected an http(s) URL such as "https://pbx.example/recordings{path}"' });
    }
  });

/**
 * The path the variables name, joined with "/": null unless every variable is set and the
 * result is an absolute path that climbs no directory.
 */
export function recordingPath(values: (string | undefined)[]): string | null {
  if (values.some((v) => v === undefined || v.trim() === '')) return null;
  const path = values.map((v) => (v as string).trim()).join('/').replace(/\/{2,}/g, '/');
  if (!path.startsWith('/') || path.split('/').some((part) => part === '..' || part === '.')) return null;
  return /[\0\r\n]/.test(path) ? null : path;
}

export function recordingLocation(template: string | undefined, path: string): string {
  if (!template) return path;
  const encodedPath = path.split('/').map(encodeURIComponent).join('/');
  const file = encodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
  return template.replace(PLACEHOLDER, (_, name: string) => (name === 'path' ? encodedPath : file));
}
