import { describe, expect, it } from 'vitest';
import { describeIssues } from '../../config/errors';
import { recordingLocation, recordingPath, recordingUrlTemplateSchema } from './recording';

describe('freeswitch recording location', () => {
  it('joins the variables into an absolute path, or gives none', () => {
    expect(recordingPath(['/var/lib/freeswitch/recordings/pbx/archive/2026/Nov/20/', 'a1.wav'])).toBe('/var/lib/freeswitch/recordings/pbx/archive/2026/Nov/20/a1.wav');
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
