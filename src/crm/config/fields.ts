/**
 * `crm.fields` of the integrator config: custom field values and tags put on the contacts and
 * unknown-caller leads calltrail creates. Integrators ask for this first ("the source is the
 * PBX", "tag it cold-call", "write the extension into field X"), and the values differ per call,
 * so each value is a template over the call, checked when the config loads and rendered in the
 * delivery path (delivery/payload.ts).
 * @module
 */
import * as z from 'zod';
import { compileTemplate, TemplateError } from '../../config/template';

/** A Liquid error in a template is a config error with its path. */
function checkTemplate(text: string, ctx: z.RefinementCtx): void {
  try {
    compileTemplate(text);
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
  }
}

/** A template over the call's variables, checked when the config loads. */
export const templateText = z.string().superRefine(checkTemplate);

/** A template over the call's variables with a default, checked when the config loads. */
export const templateWithDefault = (fallback: string) => z.string().default(fallback).superRefine(checkTemplate);

const fieldValue = z
  .strictObject({
    field_id: z.number().int().positive().describe('The CRM custom field id (amoCRM: Settings → fields, or GET /api/v4/contacts/custom_fields)'),
    value: templateText.describe('The value, a template over the call: {{ phone }}, {{ started_at | date: "YYYY-MM-DD" }}, …'),
    enum_code: z.string().min(1).max(32).optional().describe('For multitext fields (PHONE, EMAIL, …): WORK, MOB, OTHER, …'),
  })
  .describe('One custom field value; a value that renders empty is left out');

const fieldList = z.array(fieldValue).max(100).default([]);
const tagList = z.array(templateText.describe('A tag name, a template over the call')).max(50).default([]);
const entityId = z.number().int().positive();

export const crmFieldsSchema = z
  .strictObject({
    contact: fieldList.describe('Custom fields of a contact created for an unknown caller (the phone field is set anyway)'),
    lead: fieldList.describe('Custom fields of an unknown-caller lead (Unsorted)'),
    contact_tags: tagList.describe('Tags of a created contact'),
    lead_tags: tagList.describe('Tags of an unknown-caller lead'),
    lead_pipeline_id: entityId.optional().describe('Pipeline of unknown-caller leads when crm.unsorted.pipeline_id is not set'),
    lead_status_id: entityId.optional().describe('Status (stage) given to an unknown-caller lead'),
  })
  .prefault({})
  .describe('Fields and tags put on the contacts and leads calltrail creates; values are templates over the call');

export type CrmFieldsConfig = z.output<typeof crmFieldsSchema>;
