/**
 * The call's recordings: each segment with where its fetch stands (and why, when it stopped),
 * and the call's one MP3 in an audio element with a speed control. The speed buttons work
 * through PLAYER_SCRIPT, the page's only script, admitted by the CSP nonce.
 * @module
 */
import type { recordings } from '../../../db/schema';
import { recordingState } from '../../../domain/call';
import { count, localTime } from '../core/format';
import { Badge } from '../core/layout';
import type { PlayerLink } from '../queries/player';

type Recording = typeof recordings.$inferSelect;

export const SPEEDS = [0.75, 1, 1.25, 1.5, 2];

/** Sets the rate on click, and keeps it when the element reloads its source (which resets it). */
export const PLAYER_SCRIPT = `(function () {
  var audio = document.getElementById('player');
  if (!audio) return;
  var buttons = Array.prototype.slice.call(document.querySelectorAll('button[data-rate]'));
  buttons.forEach(function (button) {
    button.addEventListener('click', function () {
      var rate = Number(button.getAttribute('data-rate'));
      audio.defaultPlaybackRate = rate;
      audio.playbackRate = rate;
      buttons.forEach(function (other) { other.setAttribute('aria-pressed', String(other === button)); });
    });
  });
})();`;

/** What became of a segment (domain/call.ts recordingState), the badge the same word the API says. */
const SegmentState = ({ r, archiving }: { r: Recording; archiving: boolean }) => {
  const { state, reason } = recordingState(r, archiving);
  return (
    <>
      <td>
        <Badge value={state} />
      </td>
      <td class="wrap">{reason ?? ''}</td>
    </>
  );
};

export const Recordings = ({ list, audio, archiving, zone }: { list: Recording[]; audio: PlayerLink | null; archiving: boolean; zone: string }) => (
  <>
    {audio ? (
      <div class="player">
        <audio id="player" controls preload="metadata" src={audio.src}></audio>
        <fieldset class="speeds" aria-label="Playback speed">
          {SPEEDS.map((rate) => (
            <button type="button" class="secondary" data-rate={String(rate)} aria-pressed={rate === 1 ? 'true' : 'false'}>
              {`${rate}×`}
            </button>
          ))}
        </fieldset>
        <p class="muted">
          {(audio.durationMs / 1000).toFixed(1)} s · {count(Math.round(audio.bytes / 1024))} KB · the link works until {localTime(audio.expiresAt, zone)}
        </p>
      </div>
    ) : (
      <p class="muted">
        {archiving ? 'No MP3 of this call (yet): see the segments below.' : 'Recordings are referenced, not archived, on this service: no MP3 to play.'}
      </p>
    )}
    {list.length ? (
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>Segment</th>
              <th>Leg</th>
              <th>State</th>
              <th>Reason</th>
              <th class="num">Tries</th>
              <th>Format</th>
              <th class="num">KB</th>
              <th>Archived</th>
            </tr>
          </thead>
          <tbody>
            {list.map((r) => (
              <tr data-recording={r.recordingKey}>
                <td>{r.recordingKey}</td>
                <td>{r.legKey}</td>
                <SegmentState r={r} archiving={archiving} />
                <td class="num">{r.fetchAttempts}</td>
                <td>{r.format ?? '—'}</td>
                <td class="num">{r.bytes === null ? '—' : count(Math.round(r.bytes / 1024))}</td>
                <td>{localTime(r.archivedAt, zone)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    ) : (
      <p class="muted">The PBX reported no recording for this call.</p>
    )}
  </>
);
