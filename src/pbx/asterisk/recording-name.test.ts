import { describe, expect, it } from 'vitest';
import type { LegEnded } from '../../domain/events';
import { sourcesConfigSchema } from '../sources-config';
import { recordingName } from './fields';
import { asteriskParser } from './parse';
import { masterCsvLine, transferChain } from './testing';

/**
 * The `audio:` form is what FreePBX 2.x, Elastix and Issabel dialplans write:
 * `Set(CDR(userfield)=audio:${CALLFILENAME}.${MIXMON_FORMAT})` (their extensions_additional.conf);
 * the file names below follow CALLFILENAME's patterns.
 */
describe('recordingName', () => {
  it("takes FreePBX 2.x's userfield audio:<file> as the recording, without the prefix", () => {
    const userfield = 'audio:20100203-120000-1265198400.12.wav';
    expect(recordingName({ userfield }, 'auto')).toBe('20100203-120000-1265198400.12.wav');
    expect(recordingName({ userfield: ' audio:q-700-74951234567-20100203-120000-1265198400.13.WAV ' }, 'auto')).toBe(
      'q-700-74951234567-20100203-120000-1265198400.13.WAV',
    );
    expect(recordingName({ userfield }, 'userfield')).toBe('20100203-120000-1265198400.12.wav');
    // A dump with an empty recordingfile column (a table migrated from 2.x) still finds it.
    expect(recordingName({ recordingfile: '', userfield }, 'auto')).toBe('20100203-120000-1265198400.12.wav');
  });

  it('prefers recordingfile, and reads a bare userfield only when it looks like an audio file', () => {
    expect(recordingName({ recordingfile: 'in-101-x.wav', userfield: 'audio:old.wav' }, 'auto')).toBe('in-101-x.wav');
    expect(recordingName({ userfield: 'out-101.wav' }, 'auto')).toBe('out-101.wav');
    expect(recordingName({ userfield: 'campaign 7' }, 'auto')).toBe('');
    expect(recordingName({ recordingfile: '', userfield: 'out-101.wav' }, 'auto')).toBe('');
    expect(recordingName({ userfield: 'campaign 7' }, 'userfield')).toBe('campaign 7');
    expect(recordingName({ recordingfile: 'x.wav', userfield: 'audio:y.wav' }, 'recordingfile')).toBe('x.wav');
    expect(recordingName({ recordingfile: 'x.wav', userfield: 'audio:y.wav' }, 'none')).toBe('');
    expect(recordingName({ userfield: 'audio:' }, 'auto')).toBe('');
  });
});

describe('a FreePBX 2.x Master.csv line with the recording in userfield', () => {
  it('gives the leg its recording, located by the recording_url template', () => {
    const [first] = transferChain();
    const cdr = { ...first!, recordingfile: '', userfield: 'audio:20261120-100000-1763622000.1.wav' };
    const ctx = {
      timeZone: 'Europe/Moscow',
      sources: sourcesConfigSchema.parse({ asterisk: { csv_columns: 'uniqueid_userfield', recording_url: 'https://pbx.example/monitor/{{file}}' } }),
    };
    const leg = asteriskParser.parse(masterCsvLine(cdr, 'uniqueid_userfield'), {}, ctx).find((e): e is LegEnded => e.kind === 'leg');
    expect(leg?.recording).toMatchObject({ key: '20261120-100000-1763622000.1.wav', url: 'https://pbx.example/monitor/20261120-100000-1763622000.1.wav' });
  });
});
