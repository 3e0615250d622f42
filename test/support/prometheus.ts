/**
 * A scrape read the way Prometheus reads it: parse-prometheus-text-format (a port of the official
 * Python client's parser) over the text, and lookups of one sample by name and labels.
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface Scrape {
  families: ReturnType<typeof parsePrometheusTextFormat>;
  /** The sample's value; undefined when the family or the sample is not there. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Every sample of a family, as label sets with values. */
  samples(name: string): { labels: Record<string, string>; value: number }[];
}

/** Prometheus spells infinities +Inf and -Inf; Number() reads neither. */
function number(value: string): number {
  if (value === '+Inf') return Number.POSITIVE_INFINITY;
  if (value === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(value);
}

export function parseScrape(text: string): Scrape {
  const families = parsePrometheusTextFormat(text);
  const samples = (name: string) => (families.find((f) => f.name === name)?.metrics ?? []).map((m) => ({ labels: m.labels ?? {}, value: number(m.value) }));
  return {
    families,
    samples,
    value(name, labels = {}) {
      const wanted = Object.entries(labels);
      return samples(name).find((s) => wanted.every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === wanted.length)?.value;
    },
  };
}
