/**
 * The field corpus (test/fixtures/field): records from real installations and the vendors' own
 * examples, each read through the same code as `calltrail check`, must read exactly as its
 * expected.yaml says — every conversation, its direction, outside number, extension, outcome,
 * talk time and delivery decision, and every record that is no call of its own.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dryRunContext } from '../../src/deps';
import { numberDigits } from '../../src/domain/phone';
import { dryRun, type DryRunCall } from '../../src/ledger/dry-run';
import { CORPUS_ROOT, corpusSamples, readSample } from '#test/field-corpus';

/** What the corpus writes for a call's outside party: E.164, "raw:<digits>", or null. */
function externalOf(call: DryRunCall): string | null {
  if (call.externalNumber) return call.externalNumber;
  return call.externalNumberRaw === null ? null : `raw:${numberDigits(call.externalNumberRaw)}`;
}

const samples = corpusSamples();

describe('the field corpus', () => {
  it('has a real sample for every source, each named in SOURCES.md', () => {
    const sources = readFileSync(join(CORPUS_ROOT, 'SOURCES.md'), 'utf8');
    for (const source of ['asterisk', 'freepbx', 'freeswitch', 'twilio', 'zadarma', 'yeastar', 'mango', 'generic']) {
      expect(
        samples.some((s) => s.source === source),
        `a sample of ${source}`,
      ).toBe(true);
    }
    for (const s of samples) expect(sources, `SOURCES.md names ${s.source}/${s.name}`).toContain(`## ${s.source}/${s.name}`);
  });

  describe.each(samples.map((s) => [`${s.source}/${s.name}`, s] as const))('%s', (_name, sample) => {
    const { expected, config, bodies } = readSample(sample);
    const report = dryRun(bodies, dryRunContext(config));
    const byKey = new Map(report.calls.map((c) => [c.callKey, c]));

    it('is refused nowhere and makes exactly the expected conversations', () => {
      expect(report.refused).toEqual([]);
      expect(report.calls.map((c) => c.callKey).sort()).toEqual(expected.calls.map((c) => String(c.key)).sort());
    });

    it.each(expected.calls.map((c) => [String(c.key), c] as const))('reads call %s as written down', (key, want) => {
      const call = byKey.get(key);
      expect(call, `conversation ${key}`).toBeDefined();
      if (!call) return;
      const got = {
        direction: call.direction,
        external: externalOf(call),
        extension: call.extension,
        outcome: call.outcome,
        talk_seconds: call.talkSeconds,
        deliver: call.deliver,
        ...(want.started_at ? { started_at: call.startedAt?.getTime() } : {}),
        ...(want.legs !== undefined ? { legs: call.legCount } : {}),
        ...(want.recordings ? { recordings: call.recordings } : {}),
      };
      expect(got).toEqual({
        direction: want.direction,
        external: want.external,
        extension: want.extension === null ? null : String(want.extension),
        outcome: want.outcome,
        talk_seconds: want.talk_seconds,
        deliver: want.deliver,
        ...(want.started_at ? { started_at: new Date(want.started_at).getTime() } : {}),
        ...(want.legs !== undefined ? { legs: want.legs } : {}),
        ...(want.recordings ? { recordings: [...want.recordings].sort() } : {}),
      });
      if (want.skip_reason) expect(call.skipReason).toContain(want.skip_reason);
    });

    it('drops the records that are no call of their own, each with its reason', () => {
      const dropped = expected.dropped ?? [];
      expect(report.dropped).toHaveLength(dropped.length);
      for (const [i, d] of dropped.entries()) expect(report.dropped[i]?.reason).toContain(d.reason);
    });
  });
});
