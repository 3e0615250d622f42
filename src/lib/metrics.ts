/**
 * Metrics in the Prometheus text exposition format (0.0.4) and in OpenMetrics 1.0, for
 * `GET /metrics`. Written here rather than taken from prom-client, the usual library: prom-client
 * imports Node's modules (cluster, v8, perf_hooks) and keeps one global registry per process,
 * while this code must run on workerd too and serves several accounts from one process. What is
 * left to do is small — escaping, number spelling, the counter suffix rules of the two formats —
 * and each rule is tested against a real Prometheus text parser (metrics.test.ts).
 *
 * A family is gathered fresh at every scrape (database aggregates, in-process counters) and
 * handed over as plain data: there is no registry object and no state here.
 * @module
 */

export type MetricType = 'counter' | 'gauge';

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  /** Counters end in `_total` (the OpenMetrics family name is the name without it). */
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Why a family cannot be exposed as it is, or null. Checked before anything is written. */
export function familyProblem(family: MetricFamily): string | null {
  if (!METRIC_NAME.test(family.name)) return `${family.name}: not a metric name`;
  if (family.type === 'counter' && !family.name.endsWith('_total')) return `${family.name}: a counter's name ends in _total`;
  for (const sample of family.samples) {
    for (const label of Object.keys(sample.labels)) {
      if (!LABEL_NAME.test(label) || label.startsWith('__')) return `${family.name}: "${label}" is not a label name`;
    }
    if (family.type === 'counter' && !(sample.value >= 0)) return `${family.name}: a counter cannot be ${sample.value}`;
  }
  return null;
}

/** A label value between double quotes: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text: backslash and line feed escaped (OpenMetrics escapes double quotes too). */
function escapeHelp(text: string, openMetrics: boolean): string {
  const escaped = text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return openMetrics ? escaped.replace(/"/g, '\\"') : escaped;
}

/** Go's float spelling as Prometheus reads it: NaN, +Inf, -Inf, else the shortest decimal. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function sampleLine(name: string, sample: Sample): string {
  const labels = Object.entries(sample.labels)
    .map(([label, value]) => `${label}="${escapeLabelValue(value)}"`)
    .join(',');
  return `${name}${labels ? `{${labels}}` : ''} ${formatValue(sample.value)}`;
}

function render(families: readonly MetricFamily[], openMetrics: boolean): string {
  const lines: string[] = [];
  for (const family of families) {
    const problem = familyProblem(family);
    if (problem) throw new Error(`metric family refused: ${problem}`);
    // OpenMetrics names the counter family without its _total; its samples keep the suffix.
    const familyName = openMetrics && family.type === 'counter' ? family.name.slice(0, -'_total'.length) : family.name;
    lines.push(`# HELP ${familyName} ${escapeHelp(family.help, openMetrics)}`);
    lines.push(`# TYPE ${familyName} ${family.type}`);
    for (const sample of family.samples) lines.push(sampleLine(family.name, sample));
  }
  if (openMetrics) lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

/** The Prometheus text format, version 0.0.4. Throws on a family that breaks the format's rules. */
export function formatPrometheus(families: readonly MetricFamily[]): string {
  return render(families, false);
}

/** OpenMetrics 1.0 text, ending in `# EOF`. */
export function formatOpenMetrics(families: readonly MetricFamily[]): string {
  return render(families, true);
}

/**
 * Whether the scraper's Accept header prefers OpenMetrics to the classic text (Prometheus asks for
 * both, with q-values saying which it would rather read); a tie goes to OpenMetrics.
 */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  if (!accept) return false;
  let openMetrics = 0;
  let text = 0;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const given = params.find((p) => p.startsWith('q='));
    const q = given === undefined ? 1 : Number(given.slice(2)) || 0;
    if (type === 'application/openmetrics-text') openMetrics = Math.max(openMetrics, q);
    else if (type === 'text/plain') text = Math.max(text, q);
  }
  return openMetrics > 0 && openMetrics >= text;
}
