import { describe, expect, it } from 'vitest';
import { describeIssues } from '../../config/errors';
import type { LegEnded } from '../../domain/events';
import { defaultParseContext } from '../source';
import { sourcesConfigSchema } from '../sources-config';
import aLeg from './fixtures/a-leg-inbound-recorded.json';
import { freeswitchParser } from './parse';
import { recordingLocation, recordingPath, recordingUrlTemplateSchema } from './recording';

/**
 * mod_json_cdr with encode-values on (its default) URL-encodes every variable inside the JSON,
 * with FreeSWITCH's switch_url_encode: "/", ":", "\\" and " " become %2F, %3A, %5C and %20.
 * The fixture's values are written here as such a post carries them (encoded by us).
 */
const encoded = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
function recordingOf(variables: Record<string, string>, freeswitch: Record<string, unknown> = {}) {
  const cdr = { ...aLeg, variables: { ...aLeg.variables, ...variables } };
  const body = `cdr=${encodeURIComponent(JSON.stringify(cdr))}`;
  const ctx = { ...defaultParseContext('Europe/Moscow'), sources: sourcesConfigSchema.parse({ freeswitch }) };
  const events = freeswitchParser.parse(body, { content_type: 'application/x-www-form-urlencoded' }, ctx);
  return (events.find((e) => e.kind === 'leg') as LegEnded | undefined)?.recording;
}

describe('freeswitch recording location', () => {
  it('joins the variables into an absolute path, or gives none', () => {
    expect(recordingPath(['/var/lib/freeswitch/recordings/pbx/archive/2026/Nov/20/', 'a1.wav'])).toBe(
      '/var/lib/freeswitch/recordings/pbx/archive/2026/Nov/20/a1.wav',
    );
    expect(recordingPath(['/recordings/a1.wav'])).toBe('/recordings/a1.wav');
    expect(recordingPath(['/recordings', undefined])).toBeNull();
    expect(recordingPath(['/recordings', ' '])).toBeNull();
    expect(recordingPath(['recordings', 'a1.wav'])).toBeNull();
    expect(recordingPath(['/recordings/../etc', 'passwd'])).toBeNull();
  });

  it('turns the path into a URL by the template, or keeps the path', () => {
    const path = '/var/lib/freeswitch/recordings/pbx/a 1.wav';
    expect(recordingLocation('https://pbx.example/recordings{path}', path)).toBe('https://pbx.example/recordings/var/lib/freeswitch/recordings/pbx/a%201.wav');
    expect(recordingLocation('https://pbx.example/r/{file}', path)).toBe('https://pbx.example/r/a%201.wav');
    expect(recordingLocation(undefined, path)).toBe(path);
  });

  it('checks templates when the config loads', () => {
    const problems = (t: string) => {
      const r = recordingUrlTemplateSchema.safeParse(t);
      return r.success ? [] : describeIssues(r.error);
    };
    expect(problems('https://pbx.example/recordings{path}')).toEqual([]);
    expect(problems('https://pbx.example/recordings')).toEqual(['(root): expected {path} (the full path on the PBX) or {file} (its last part)']);
    expect(problems('/local{path}')).toEqual(['(root): expected an http(s) URL such as "https://pbx.example/recordings{path}"']);
    expect(problems('https://x/{uuid}{file}')).toEqual(['(root): unknown placeholder {uuid}: use {path} or {file}']);
  });
});

describe('a FusionPBX CDR names its recording', () => {
  const DIR = '/var/lib/freeswitch/recordings/pbx.example.com/archive/2026/Nov/20';
  const NAME = 'a1f3c2d4-5e6f-4a8b-9c0d-1e2f3a4b5c6d.wav';

  it('with URL-encoded record_path and record_name, as mod_json_cdr posts them', () => {
    expect(recordingOf({ record_path: encoded(DIR), record_name: encoded(NAME) })).toEqual({
      key: `${DIR}/${NAME}`,
      url: `${DIR}/${NAME}`,
      status: 'referenced',
    });
  });

  it('as an http URL through the recording_url template, the path re-encoded for the URL', () => {
    const recording = recordingOf(
      { record_path: encoded('/var/lib/freeswitch/recordings/pbx.example.com/archive/2026/Nov/20'), record_name: encoded('call 7#1.wav') },
      { recording_url: 'https://pbx.example.com/app/recordings/download{path}' },
    );
    expect(recording?.url).toBe(
      'https://pbx.example.com/app/recordings/download/var/lib/freeswitch/recordings/pbx.example.com/archive/2026/Nov/20/call%207%231.wav',
    );
    expect(new URL(recording?.url ?? '').protocol).toBe('https:');
  });

  it('on Windows, with its drive and backslashes', () => {
    const record_path = encoded('C:\\Program Files\\FreeSWITCH\\recordings/pbx.example.com/archive/2026/Nov/20');
    const path = `C:/Program Files/FreeSWITCH/recordings/pbx.example.com/archive/2026/Nov/20/${NAME}`;
    expect(recordingOf({ record_path, record_name: encoded(NAME) })).toEqual({ key: path, url: path, status: 'referenced' });
    expect(recordingOf({ record_path, record_name: encoded(NAME) }, { recording_url: 'https://pbx.example.com/r{path}' })?.url).toBe(
      `https://pbx.example.com/r/Program%20Files/FreeSWITCH/recordings/pbx.example.com/archive/2026/Nov/20/${NAME}`,
    );
    expect(recordingPath(['C:\\rec\\..\\Windows', 'x.wav'])).toBeNull();
    expect(recordingPath(['C:rec', 'x.wav'])).toBeNull();
  });
});
