/**
 * /admin/calls/:id: one call — summary, legs on a timeline, recordings with the player, and its
 * delivery with the attempts and the retry button.
 * @module
 */
import type { Context } from 'hono';
import type { CallDetail } from '../../../ledger/calls-query';
import type { AdminEnv } from '../core/env';
import { clock, localTime, partyNumber } from '../core/format';
import { Badge, Notice, render } from '../core/layout';
import type { PlayerLink } from '../queries/player';
import { RecordingAccess } from './call-access';
import { LegalHold } from './call-hold';
import { DeliveryPanel } from './call-delivery';
import { PLAYER_SCRIPT, Recordings } from './call-player';
import { LegsTimeline } from './call-timeline';
import { Direction } from './calls';

export interface CallPageData {
  zone: string;
  call: CallDetail;
  delivery: CallDetail['deliveries'][number] | null;
  audio: PlayerLink | null;
  archiving: boolean;
  notice: string | undefined;
}

export function callPage(c: Context<AdminEnv>, d: CallPageData) {
  const call = d.call;
  const number = partyNumber(call.externalNumber, call.externalNumberRaw);
  return render(
    c,
    { title: `Call ${number}`, nav: 'calls', ...(d.audio ? { script: PLAYER_SCRIPT } : {}) },
    <>
      <p class="muted">
        <a href="/admin/calls">« Calls</a>
      </p>
      <h1>
        Call <span class="number">{number}</span> <Badge value={call.outcome} />
      </h1>
      <Notice code={d.notice} />
      <section class="card">
        <h2>Summary</h2>
        <CallSummary call={call} number={number} zone={d.zone} />
      </section>
      <section class="card">
        <h2>Legs</h2>
        <LegsTimeline legs={call.legs} zone={d.zone} start={call.startedAt} end={call.endedAt} />
      </section>
      <section class="card">
        <h2>Recording</h2>
        <Recordings list={call.recordings} audio={d.audio} archiving={d.archiving} zone={d.zone} />
        <RecordingAccess callId={call.id} list={call.recordings} hasAudio={d.audio !== null} csrf={c.get('csrf')} />
      </section>
      <section class="card">
        <h2>Legal hold</h2>
        <LegalHold callId={call.id} hold={{ at: call.legalHoldAt, by: call.legalHoldBy, reason: call.legalHoldReason }} zone={d.zone} csrf={c.get('csrf')} />
      </section>
      <section class="card">
        <h2>Delivery to the CRM</h2>
        <DeliveryPanel callId={call.id} delivery={d.delivery} zone={d.zone} csrf={c.get('csrf')} />
      </section>
    </>,
  );
}

/** Settled when, due when, or still going on. */
function settledText(call: CallDetail, zone: string): string {
  if (call.settledAt) return localTime(call.settledAt, zone);
  return call.finalSeenAt ? `due ${localTime(call.settleDueAt, zone)}` : 'still going on';
}

/** The call's facts: direction and why, the number as shown and as the PBX sent it, times, source. */
const CallSummary = ({ call, number, zone }: { call: CallDetail; number: string; zone: string }) => (
  <dl class="kv" id="summary">
    <dt>Direction</dt>
    <dd>
      <Direction value={call.direction} />
      {call.directionRule ? <span class="muted"> — {call.directionRule}</span> : null}
    </dd>
    <dt>Number</dt>
    <dd>{number}</dd>
    {call.externalNumberRaw && call.externalNumberRaw !== call.externalNumber ? (
      <>
        <dt>As the PBX sent it</dt>
        <dd>
          {call.externalNumberRaw}
          {call.externalNumberNote ? <span class="muted"> — {call.externalNumberNote}</span> : null}
        </dd>
      </>
    ) : null}
    <dt>Extension</dt>
    <dd>{call.extension ?? '—'}</dd>
    <dt>Started</dt>
    <dd>{localTime(call.startedAt, zone)}</dd>
    <dt>Answered</dt>
    <dd>{localTime(call.answeredAt, zone)}</dd>
    <dt>Ended</dt>
    <dd>{localTime(call.endedAt, zone)}</dd>
    <dt>Duration</dt>
    <dd>{clock(call.durationSeconds)}</dd>
    <dt>Talk time</dt>
    <dd>{clock(call.talkSeconds)}</dd>
    <dt>Legs</dt>
    <dd>{call.legCount}</dd>
    <dt>Source</dt>
    <dd>
      {call.source} · <code>{call.callKey}</code>
    </dd>
    <dt>Settled</dt>
    <dd>{settledText(call, zone)}</dd>
    {call.awaitingRecordings ? (
      <>
        <dt>Recordings</dt>
        <dd>waiting for answered legs' recordings</dd>
      </>
    ) : null}
  </dl>
);
