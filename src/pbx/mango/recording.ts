/**
 * events/recording → the recording of an employee's part of the entry. Only the Completed state
 * says what became of the file: saved to Mango's cloud (fetched later by its recording_id, through
 * /vpbx/queries/recording/post), sent by e-mail only, too short to keep (4002), or refused.
 * Started and Continued announce a file in progress: stored, nothing to record yet.
 * @module
 */
import type { CallEvent, RecordingRef } from '../../domain/events';
import type { MangoRecordingEvent } from './schema';

export function recordingEvents(e: MangoRecordingEvent): CallEvent[] {
  if (e.recording_state !== 'Completed') return [];
  // The call the recording ended in: its leg is the one it covers.
  const legKey = e.call_id ?? e.entry_id;
  return [{ kind: 'recording', callKey: e.entry_id, legKey, recording: recordingRef(e) }];
}

function recordingRef(e: MangoRecordingEvent): RecordingRef {
  const code = e.completion_code ?? 1000;
  if (code >= 1000 && code < 2000) {
    // Mailed only: Mango keeps no copy to fetch.
    if (e.recipient === 'Mail') return { key: e.recording_id, url: null, status: 'absent' };
    return { key: e.recording_id, url: null, status: 'referenced', vendorRef: e.recording_id };
  }
  return { key: e.recording_id, url: null, status: code === 4002 ? 'absent' : 'failed' };
}
