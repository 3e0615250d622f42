import { describe, expect, it } from 'vitest';
import { describeIssues } from '../../config/errors';
import { isRecordingFileName, recordingLocation, recordingUrlTemplateSchema } from './recording';

const problems = (template: string) => {
  const result = recordingUrlTemplateSchema.safeParse(template);
  return result.success ? [] : describeIssues(result.error);
};

describe('yeastar recording location', () => {
  it('fills {file} and {call_id}, each path segment escaped', () => {
    expect(recordingLocation('https://pbx.example/rec/{call_id}/{file}', '2026/a b.wav', '1.5')).toBe('https://pbx.example/rec/1.5/2026/a%20b.wav');
    expect(recordingLocation('/ysdisk/ysapps/monitor/{file}', 'x.wav', '1')).toBe('/ysdisk/ysapps/monitor/x.wav');
  });

  it('checks templates when the config loads', () => {
    expect(problems('https://pbx.example/recordings/{file}')).toEqual([]);
    expect(problems('https://pbx.example/recordings/')).toEqual(['(root): expected the {file} placeholder, where the file name goes']);
    expect(problems('https://pbx.example/{fil}')).toEqual([
      '(root): unknown placeholder {fil}: use {file} and {call_id}',
      '(root): expected the {file} placeholder, where the file name goes',
    ]);
    expect(problems('ftp://pbx/{file}')).toEqual(['(root): expected an http(s) URL or an absolute path, such as "https://pbx.example/recordings/{file}"']);
  });

  it('takes file names, not paths that climb', () => {
    expect(isRecordingFileName('20191024201242-1571897930.5-203-201-Internal.wav')).toBe(true);
    expect(isRecordingFileName('2026/11/x.wav')).toBe(true);
    expect(isRecordingFileName('../x.wav')).toBe(false);
    expect(isRecordingFileName('/etc/x')).toBe(false);
    expect(isRecordingFileName('x.wav?y=1')).toBe(false);
  });
});
