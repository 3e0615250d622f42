/**
 * The agents' bar chart: per extension, a bar as long as its calls, split into answered, not
 * answered and the rest (still going on). Inline SVG shapes, no library, no style attributes.
 * @module
 */
import type { AgentStat } from '../queries/agents';

const WIDTH = 1000;

export const AgentsChart = ({ rows }: { rows: AgentStat[] }) => {
  const max = Math.max(1, ...rows.map((r) => r.calls));
  const w = (n: number) => Math.round((n / max) * WIDTH * 10) / 10;
  return (
    <figure class="chart" id="agents-chart">
      <div class="legend" aria-hidden="true">
        <span>
          <i class="k-answered"></i>answered
        </span>
        <span>
          <i class="k-missed"></i>not answered
        </span>
        <span>
          <i class="k-rung"></i>other
        </span>
      </div>
      {rows.map((r) => {
        const label = r.key ?? '(none)';
        const other = Math.max(0, r.calls - r.answered - r.missed);
        return (
          <div class="row" data-extension={label}>
            <span>{label}</span>
            <svg
              viewBox={`0 0 ${WIDTH} 20`}
              preserveAspectRatio="none"
              role="img"
              aria-label={`${label}: ${r.calls} calls, ${r.answered} answered, ${r.missed} not answered`}
            >
              <rect class="answered" x="0" y="2" width={w(r.answered)} height="16" fill="#2f7d4a" />
              <rect class="missed" x={w(r.answered)} y="2" width={w(r.missed)} height="16" fill="#d05a4e" />
              <rect class="other" x={w(r.answered + r.missed)} y="2" width={w(other)} height="16" fill="#b9c1cd" />
            </svg>
            <span class="num">{r.calls}</span>
          </div>
        );
      })}
    </figure>
  );
};
