/**
 * The amoCRM adapter assembled from the config's `crm:` section and a connection (the account's
 * URL, its tokens, its rate limiter): one factory for the live account, the sandbox CRM and the
 * config preview alike.
 * @module
 */
import { AmoCrmAdapter } from './adapter';
import { AmoApi, type AmoApiOptions } from './api';

/** What the amoCRM adapter takes from the integrator config. */
export interface AmoConfig {
  crm: { source: string; unsorted: { pipeline_id: number | null; service_code: string }; batch_size: number };
  missed_call_tasks: { task_type: number };
}

export function amoCrmAdapter(config: AmoConfig, connection: AmoApiOptions): AmoCrmAdapter {
  return new AmoCrmAdapter(new AmoApi(connection), {
    source: config.crm.source,
    unsorted: { pipelineId: config.crm.unsorted.pipeline_id, serviceCode: config.crm.unsorted.service_code },
    taskTypeId: config.missed_call_tasks.task_type,
    batchSize: config.crm.batch_size,
  });
}
