import { describe, expect, it } from 'vitest';
import { fieldMapping, type DeliverableCall } from '../../delivery/payload';
import { ConfigError } from '../../config/errors';
import { defaultIntegratorConfig, parseIntegratorConfig } from '../../settings/integrator';

const problems = (config: unknown): string[] => {
  try {
    parseIntegratorConfig(JSON.stringify(config), 'c.json');
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems;
  }
};

const call: DeliverableCall = {
  deliveryId: 'd-1',
  uniq: 'ct1-0123',
  callKey: 'c-1',
  direction: 'inbound',
  externalNumber: '+74951234567',
  externalNumberRaw: '8 495 123-45-67',
  extension: '205',
  outcome: 'answered',
  startedAt: new Date('2026-11-20T07:00:00Z'),
  durationSeconds: 185,
  talkSeconds: 125,
  link: null,
};

describe('crm.fields', () => {
  it('defaults to nothing mapped', () => {
    expect(defaultIntegratorConfig().crm.fields).toEqual({ contact: [], lead: [], contact_tags: [], lead_tags: [] });
    expect(fieldMapping(call, defaultIntegratorConfig())).toEqual({
      contact: { fields: [], tags: [] },
      lead: { fields: [], tags: [], pipelineId: null, statusId: null },
    });
  });

  it('checks every template and key where it is, with suggestions', () => {
    expect(
      problems({
        crm: {
          fields: {
            contact: [
              { field_id: 1, value: '{{ phone }}' },
              { field_id: 2, value: 'x' },
              { field_id: 3, value: '{{ phonee }}' },
            ],
            lead: [{ field_id: 0, value: 'x', enum: 'WORK' }],
            lead_tags: ['{{ duration | mmsss }}'],
          },
        },
      }),
    ).toEqual([
      'crm.fields.contact[2].value: unknown variable {{phonee}} — did you mean {{phone}}?',
      'crm.fields.lead[0].field_id: Too small: expected number to be >0',
      'crm.fields.lead[0].enum: unknown key — did you mean "enum_code"?',
      'crm.fields.lead_tags[0]: unknown filter "mmsss" — did you mean "mmss"? (column 1)',
    ]);
  });

  it('renders values and tags per call; empty ones are left out, tags once', () => {
    const config = parseIntegratorConfig(
      JSON.stringify({
        time_zone: 'Europe/Moscow',
        crm: {
          unsorted: { pipeline_id: null },
          fields: {
            contact: [
              { field_id: 501, value: 'PBX ext {{ extension }}' },
              { field_id: 502, value: '{{ department }}' },
              { field_id: 503, value: '{{ phone_raw }}', enum_code: 'WORK' },
            ],
            lead: [{ field_id: 601, value: '{{ started_at | date: "YYYY-MM-DD HH:mm" }} / {{ duration | mmss }}' }],
            contact_tags: ['calltrail', '{{ direction }}', 'calltrail', '{{ department }}'],
            lead_tags: ['{{ outcome }}'],
            lead_pipeline_id: 88,
            lead_status_id: 142,
          },
        },
      }),
      'c.json',
    );
    expect(fieldMapping(call, config)).toEqual({
      contact: {
        fields: [
          { fieldId: 501, value: 'PBX ext 205' },
          { fieldId: 503, value: '8 495 123-45-67', enumCode: 'WORK' },
        ],
        tags: ['calltrail', 'inbound'],
      },
      lead: { fields: [{ fieldId: 601, value: '2026-11-20 10:00 / 2:05' }], tags: ['answered'], pipelineId: 88, statusId: 142 },
    });
  });
});
