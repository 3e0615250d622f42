/**
 * Yeastar names a call's recording by its file name only ("20191024201242-1571897930.5-203-201-
 * Internal.wav"). Where the files can be fetched from is deployment knowledge: a template in the
 * config turns the name into a URL or a path, checked when the config loads. Without a template
 * the name is kept as the vendor's ref, and the PBX's own API downloads the file when
 * `sources.yeastar.api` is set (recording-download.ts).
 * @module
 */
import { PLACEHOLDER, urlTemplateSchema } from '../core/url-template';

export const recordingUrlTemplateSchema = urlTemplateSchema({
  known: ['file', 'call_id'],
  use: 'use {file} and {call_id}',
  missing: (names) => (names.includes('file') ? null : 'expected the {file} placeholder, where the file name goes'),
  target: /^https?:\/\/[^\s{}/][^\s]*$|^\/[^\s]*$/i,
  expected: 'expected an http(s) URL or an absolute path, such as "https://pbx.example/recordings/{file}"',
});

/** A file name as the PBX writes it: no directories climbed, nothing that could change a URL's meaning. */
export function isRecordingFileName(name: string): boolean {
  return /^[\w.+@=,:-]+(\/[\w.+@=,:-]+)*$/.test(name) && !name.split('/').some((part) => part === '.' || part === '..');
}

export function recordingLocation(template: string, file: string, callId: string): string {
  // Each path segment is escaped on its own, so a file in a subdirectory keeps its slashes.
  const encodedFile = file.split('/').map(encodeURIComponent).join('/');
  return template.replace(PLACEHOLDER, (_, name: string) => (name === 'file' ? encodedFile : encodeURIComponent(callId)));
}
