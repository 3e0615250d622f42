/**
 * Builders for generic webhook events, named after the situation they describe.
 */
type Json = Record<string, unknown>;

export function callEnded(overrides: Json = {}): Json {
  return {
    type: 'call.ended',
    call_id: 'call-1',
    direction: 'inbound',
    from: '+7 (495) 123-45-67',
    to: '101',
    extension: '101',
    started_at: '2026-11-20T10:00:00+03:00',
    answered_at: '2026-11-20T10:00:05+03:00',
    ended_at: '2026-11-20T10:03:05+03:00',
    disposition: 'answered',
    ...overrides,
  };
}

export function recordingReady(overrides: Json = {}): Json {
  return { type: 'recording.ready', call_id: 'call-1', recording: { id: 'rec-1', url: 'https://pbx.example/rec-1.wav' }, ...overrides };
}

/**
 * Caller → secretary (ext 100, talks 40 s) → sales rep (ext 205, talks 170 s): one conversation
 * in two legs; the rep's leg ends the conversation (final) and its recording arrives separately.
 */
export function transferChain(callId = 'transfer-1'): Json[] {
  return [
    callEnded({
      call_id: callId,
      leg_id: `${callId}-a`,
      to: '100',
      extension: '100',
      started_at: '2026-11-20T10:00:00+03:00',
      answered_at: '2026-11-20T10:00:04+03:00',
      ended_at: '2026-11-20T10:00:44+03:00',
      recording: { id: `${callId}-ra`, url: `https://pbx.example/${callId}-a.wav` },
    }),
    callEnded({
      call_id: callId,
      leg_id: `${callId}-b`,
      to: '205',
      extension: '205',
      final: true,
      started_at: '2026-11-20T10:00:44+03:00',
      answered_at: '2026-11-20T10:00:50+03:00',
      ended_at: '2026-11-20T10:03:40+03:00',
    }),
    recordingReady({ call_id: callId, leg_id: `${callId}-b`, recording: { id: `${callId}-rb`, url: `https://pbx.example/${callId}-b.wav` } }),
  ];
}
