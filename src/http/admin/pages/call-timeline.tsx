/**
 * A call's legs on one time axis: a bar per leg over the call's span, the ringing part light and
 * the answered part shaded. Bars are inline SVG shapes (attributes, not style, so the strict CSP
 * needs no exception); labels are HTML text, readable at any width.
 * @module
 */
import type { legs } from '../../../db/schema';
import { clock, localTime } from '../core/format';

type Leg = typeof legs.$inferSelect;

const WIDTH = 1000;

export const LegsTimeline = ({ legs: list, zone, start, end }: { legs: Leg[]; zone: string; start: Date | null; end: Date | null }) => {
  if (list.length === 0) return <p class="muted">No legs recorded.</p>;
  const sorted = [...list].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  const t0 = Math.min(start?.getTime() ?? Infinity, ...sorted.map((l) => l.startedAt.getTime()));
  const t1 = Math.max(end?.getTime() ?? -Infinity, ...sorted.map((l) => l.endedAt.getTime()), t0 + 1000);
  const x = (t: Date) => Math.round(((t.getTime() - t0) / (t1 - t0)) * WIDTH * 10) / 10;
  return (
    <div class="timeline">
      {sorted.map((leg) => {
        const from = x(leg.startedAt);
        const to = Math.max(x(leg.endedAt), from + 2);
        const answered = leg.answeredAt ? x(leg.answeredAt) : null;
        const who = leg.extension ?? leg.toRaw ?? leg.fromRaw ?? leg.legKey;
        const times = `${localTime(leg.startedAt, zone).slice(11)}–${localTime(leg.endedAt, zone).slice(11)}`;
        return (
          <div class="leg" data-leg={leg.legKey}>
            <div class="leg-label">
              <strong>{who}</strong>{' '}
              <span class="muted">
                {leg.disposition} · {times}
                {leg.answeredAt ? ` · talked ${clock(leg.talkSeconds)}` : ''}
              </span>
            </div>
            <svg viewBox={`0 0 ${WIDTH} 20`} preserveAspectRatio="none" role="img" aria-label={`${who}: ${leg.disposition}, ${times}`}>
              <rect x="0" y="0" width={WIDTH} height="20" fill="#eef0f3" />
              <rect class="rung" x={from} y="3" width={to - from} height="14" fill="#b9c1cd" />
              {answered !== null && to > answered ? <rect class="answered" x={answered} y="3" width={to - answered} height="14" fill="#2f7d4a" /> : null}
            </svg>
          </div>
        );
      })}
      <div class="axis muted">
        <span>{localTime(new Date(t0), zone)}</span>
        <span>{localTime(new Date(t1), zone)}</span>
      </div>
      <p class="muted">Light: ringing · dark: answered.</p>
    </div>
  );
};
