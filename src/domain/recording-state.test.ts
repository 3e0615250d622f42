import { describe, expect, it } from 'vitest';
import { recordingState } from './call';

const r = (
  status: 'referenced' | 'absent' | 'failed',
  fetchState: 'waiting' | 'archived' | 'refused' | 'failed' | 'skipped' | 'purged',
  fetchError: string | null = null,
) => ({
  status,
  fetchState,
  fetchError,
});

describe("a recording's state, in one word and a reason", () => {
  it('tells archived, pending, refused and failed apart (they were all "referenced" before)', () => {
    expect(recordingState(r('referenced', 'archived'), true)).toEqual({ state: 'archived', reason: null });
    expect(recordingState(r('referenced', 'waiting', 'HTTP 503'), true)).toEqual({ state: 'pending', reason: 'HTTP 503' });
    expect(recordingState(r('referenced', 'refused', 'pbx.example is not an allowed recording host'), true)).toEqual({
      state: 'refused',
      reason: 'pbx.example is not an allowed recording host',
    });
    expect(recordingState(r('referenced', 'failed', 'HTML is not supported'), true)).toEqual({ state: 'failed', reason: 'HTML is not supported' });
  });

  it('says what the PBX said, what the policy skipped, what retention purged, and what is only linked', () => {
    expect(recordingState(r('absent', 'skipped'), true).state).toBe('not_recorded');
    expect(recordingState(r('failed', 'skipped'), true)).toEqual({ state: 'failed', reason: 'the PBX reported the recording failed' });
    expect(recordingState(r('referenced', 'skipped', 'not recorded by policy (rule #3)'), true)).toEqual({
      state: 'skipped',
      reason: 'not recorded by policy (rule #3)',
    });
    expect(recordingState(r('referenced', 'purged'), true).state).toBe('purged');
    expect(recordingState(r('referenced', 'skipped'), false).state).toBe('referenced');
  });
});
