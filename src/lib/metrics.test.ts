import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseScrape } from '#test/prometheus';
import { escapeLabelValue, familyProblem, formatOpenMetrics, formatPrometheus, formatValue, type MetricFamily, wantsOpenMetrics } from './metrics';

const families: MetricFamily[] = [
  {
    name: 'calltrail_deliveries',
    help: 'Deliveries by state.',
    type: 'gauge',
    samples: [
      { labels: { account: 'amocrm:example.amocrm.ru', state: 'pending' }, value: 3 },
      { labels: { account: 'amocrm:example.amocrm.ru', state: 'delivered' }, value: 120 },
    ],
  },
  {
    name: 'calltrail_crm_requests_total',
    help: 'CRM requests by outcome.',
    type: 'counter',
    samples: [{ labels: { account: 'sandbox', outcome: 'ok' }, value: 7 }],
  },
  { name: 'calltrail_up', help: 'Always 1.', type: 'gauge', samples: [{ labels: {}, value: 1 }] },
];

describe('the Prometheus text format', () => {
  it('is read back by a Prometheus text parser: names, HELP, TYPE, labels and values', () => {
    const text = formatPrometheus(families);
    const scrape = parseScrape(text);
    expect(scrape.families.map((f) => [f.name, f.type, f.help])).toEqual([
      ['calltrail_deliveries', 'GAUGE', 'Deliveries by state.'],
      ['calltrail_crm_requests_total', 'COUNTER', 'CRM requests by outcome.'],
      ['calltrail_up', 'GAUGE', 'Always 1.'],
    ]);
    expect(scrape.value('calltrail_deliveries', { account: 'amocrm:example.amocrm.ru', state: 'delivered' })).toBe(120);
    expect(scrape.value('calltrail_crm_requests_total', { account: 'sandbox', outcome: 'ok' })).toBe(7);
    expect(scrape.value('calltrail_up')).toBe(1);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('escapes label values so that any text comes back unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        const text = formatPrometheus([{ name: 'm', help: 'h', type: 'gauge', samples: [{ labels: { v: value }, value: 1 }] }]);
        expect(parseScrape(text).samples('m')[0]?.labels.v).toBe(value);
      }),
      { numRuns: 200 },
    );
    expect(escapeLabelValue('C:\\DIR\n"x"')).toBe('C:\\\\DIR\\n\\"x\\"');
  });

  it('escapes HELP text: a line feed or backslash in it cannot break the format', () => {
    const text = formatPrometheus([{ name: 'm', help: 'two\nlines \\ here', type: 'gauge', samples: [{ labels: {}, value: 2 }] }]);
    expect(text.split('\n')[0]).toBe('# HELP m two\\nlines \\\\ here');
    expect(parseScrape(text).value('m')).toBe(2);
  });

  it('spells numbers as Prometheus reads them', () => {
    expect([NaN, Infinity, -Infinity, 0, 1.5, 1e21, -3].map(formatValue)).toEqual(['NaN', '+Inf', '-Inf', '0', '1.5', '1e+21', '-3']);
    const scrape = parseScrape(formatPrometheus([{ name: 'm', help: 'h', type: 'gauge', samples: [{ labels: { a: 'x' }, value: Infinity }] }]));
    expect(scrape.value('m', { a: 'x' })).toBe(Infinity);
  });

  it('refuses what the format cannot carry instead of writing a broken scrape', () => {
    expect(familyProblem({ name: 'bad-name', help: '', type: 'gauge', samples: [] })).toContain('not a metric name');
    expect(familyProblem({ name: 'c', help: '', type: 'counter', samples: [] })).toContain('_total');
    expect(familyProblem({ name: 'm', help: '', type: 'gauge', samples: [{ labels: { 'a-b': 'x' }, value: 1 }] })).toContain('label name');
    expect(familyProblem({ name: 'm', help: '', type: 'gauge', samples: [{ labels: { __name: 'x' }, value: 1 }] })).toContain('label name');
    expect(familyProblem({ name: 'c_total', help: '', type: 'counter', samples: [{ labels: {}, value: -1 }] })).toContain('cannot be -1');
    expect(() => formatPrometheus([{ name: 'bad-name', help: '', type: 'gauge', samples: [] }])).toThrow('bad-name');
  });
});

describe('OpenMetrics', () => {
  it('names counter families without _total, keeps the suffix on samples, and ends in # EOF', () => {
    const lines = formatOpenMetrics(families).trimEnd().split('\n');
    expect(lines).toContain('# TYPE calltrail_crm_requests counter');
    expect(lines).toContain('# HELP calltrail_crm_requests CRM requests by outcome.');
    expect(lines).toContain('calltrail_crm_requests_total{account="sandbox",outcome="ok"} 7');
    expect(lines).toContain('# TYPE calltrail_deliveries gauge');
    expect(lines.at(-1)).toBe('# EOF');
    expect(lines.filter((l) => l === '# EOF')).toHaveLength(1);
  });

  it('is chosen when the Accept header prefers it', () => {
    // Prometheus 2.x and 3.x send these.
    expect(
      wantsOpenMetrics('application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'),
    ).toBe(true);
    expect(wantsOpenMetrics('text/plain;version=0.0.4;q=1,application/openmetrics-text;version=1.0.0;q=0.5')).toBe(false);
    expect(wantsOpenMetrics('application/openmetrics-text; version=1.0.0')).toBe(true);
    expect(wantsOpenMetrics('application/openmetrics-text;q=0')).toBe(false);
    expect(wantsOpenMetrics('*/*')).toBe(false);
    expect(wantsOpenMetrics(undefined)).toBe(false);
  });
});
