/**
 * A dry run of the configured CRM adapter for one sample call: the call the delivery would send
 * (from a generic `call.ended` body, through the same parser, assembly and mapping as a real
 * call), then the adapter's steps — log, and on an unknown number the contact and the log again,
 * a call-back task where the config asks for one — against a fetch that records each request and
 * answers it with a plausible canned response. No network, no database: what an integrator needs
 * to see whether a config produces the requests their CRM expects.
 *
 * Canned answers are made to fit the config's selectors (an id selector `data.id` gets
 * `{"data": {"id": …}}`); a selector too clever for that, or a scenario such as "nobody has this
 * number", is given per request in the answers (see PreviewAnswers).
 *
 * It runs the sample through the PBX parser, the ledger's uniq and the delivery payload as well as
 * the CRM adapter, so it lives with the Node CLI that uses it (config-preview.ts), where every
 * layer may be imported.
 * @module
 */
import type { IntegratorConfig } from '../../settings/integrator';
import { LongLivedToken } from '../../crm/amocrm/auth';
import { amoCrmAdapter } from '../../crm/amocrm/connect';
import type { GenericCrmConfig, RequestName } from '../../crm/generic/config';
import { genericAdapter } from '../../crm/generic/connect';
import { RateLimiter } from '../../crm/limiter';
import type { CallToLog, CrmPort, LogResult } from '../../crm/port';
import { callbackTask, toCallToLog, wantsCallbackTask, type DeliverableCall } from '../../delivery/payload';
import { factsOfLeg, summarize } from '../../domain/assemble';
import type { LegEnded } from '../../domain/events';
import { conversationUniq } from '../../ledger/versions';
import { createLogger } from '../../lib/log';
import { genericParser } from '../../pbx/generic/parse';
import { numberRules, parseContext } from '../../pbx/source';

/** One canned answer: status (default 200) and JSON body. */
export interface CannedAnswer {
  status?: number;
  body?: unknown;
}

/**
 * Answers by request: a generic request's name (`find_contact`, `log_call`, …) or
 * "METHOD /path" (any adapter); a list is used one answer per request, the last one repeated.
 */
export type PreviewAnswers = Record<string, CannedAnswer | CannedAnswer[]>;

export interface RecordedRequest {
  /** The generic request it matched, when the adapter is generic. */
  name: string | null;
  method: string;
  url: string;
  headers: Record<string, string>;
  /** JSON text, a multipart summary, or null. */
  body: string | null;
  status: number;
}

export interface PreviewResult {
  call: CallToLog;
  requests: RecordedRequest[];
  /** What each step came to, in order ("log_call: logged as 3001"). */
  steps: string[];
}

export interface PreviewOptions {
  config: IntegratorConfig;
  /** The sample: a generic webhook body (one call.ended event, or an array of events). */
  sample: unknown;
  answers?: PreviewAnswers;
  /** Secret values by environment variable name; a missing one is shown as ${NAME}. */
  secrets?: Record<string, string>;
  /** amoCRM account URL for an amoCRM preview (default https://example.amocrm.ru). */
  amoBaseUrl?: string;
  now?: Date;
}

const PREVIEW_RECORDING = new Uint8Array(1024);

export async function previewDelivery(options: PreviewOptions): Promise<PreviewResult> {
  const { config } = options;
  const call = sampleCall(options.sample, config);
  const requests: RecordedRequest[] = [];
  const generic = config.crm.adapter === 'generic' ? config.crm.generic : undefined;
  const fetcher = recordingFetch(requests, options.answers ?? {}, generic);
  const port = buildPort(config, fetcher, options, generic);
  const steps: string[] = [];
  let result = await port.logCalls([call]);
  steps.push(`log: ${describe(result[0])}`);
  const policy = config.unknown_callers[call.direction];
  if (result[0]?.status === 'unknown_number' && policy === 'contact') {
    const [contact] = await port.createContacts([{ requestId: call.requestId, name: call.contactName, phone: call.phone, userId: call.userId }]);
    steps.push(`contact: created ${contact?.id}`);
    result = await port.logCalls([call]);
    steps.push(`log: ${describe(result[0])}`);
  } else if (result[0]?.status === 'unknown_number' && policy === 'unsorted') {
    const [lead] = await port.createUnknownCallerLeads([call]);
    steps.push(`unsorted: ${lead?.status}`);
  }
  const logged = result[0];
  if (logged?.status === 'logged' && wantsCallbackTask({ direction: call.direction, outcome: call.outcome }, config)) {
    const task = callbackTask(deliverable(options.sample, config), logged.ref, config, options.now ?? new Date());
    const [created] = await port.addTasks([task]);
    steps.push(`task: created ${created?.id}`);
  }
  return { call, requests, steps };
}

function describe(result: LogResult | undefined): string {
  if (!result) return 'no answer';
  if (result.status === 'logged') return `logged as ${result.ref.noteId} on ${result.ref.entityType} ${result.ref.entityId}`;
  if (result.status === 'rejected') return `rejected: ${result.reason}`;
  if (result.status === 'failed') return `failed: ${result.error.message}`;
  return 'unknown number';
}

/** The sample's call as the delivery would send it. */
export function sampleCall(sample: unknown, config: IntegratorConfig): CallToLog {
  return toCallToLog(deliverable(sample, config), config);
}

function deliverable(sample: unknown, config: IntegratorConfig): DeliverableCall {
  const events = genericParser.parse(JSON.stringify(sample), {}, parseContext(config));
  const legs = events.filter((e): e is LegEnded => e.kind === 'leg');
  const first = legs[0];
  if (!first) throw new Error('the sample holds no call.ended event');
  const summary = summarize(legs.map(factsOfLeg), [], numberRules(config));
  const link = events.map((e) => (e.kind === 'leg' ? e.recording?.url : e.kind === 'recording' ? e.recording.url : null)).find((u) => !!u) ?? null;
  return {
    deliveryId: 'preview-1',
    uniq: conversationUniq('generic', first.callKey),
    callKey: first.callKey,
    direction: summary.direction,
    externalNumber: summary.externalNumber,
    externalNumberRaw: summary.externalNumberRaw,
    extension: summary.extension,
    outcome: summary.outcome,
    startedAt: summary.startedAt,
    durationSeconds: summary.durationSeconds,
    talkSeconds: summary.talkSeconds,
    link,
  };
}

function buildPort(config: IntegratorConfig, fetcher: typeof fetch, options: PreviewOptions, generic: GenericCrmConfig | undefined): CrmPort {
  const log = createLogger({ level: 'error', write: () => {} });
  const limiter = new RateLimiter({ rps: 1_000_000, sleep: async () => {} });
  if (generic) {
    return genericAdapter(generic, {
      config,
      limiter,
      log,
      secrets: new Proxy({} as Record<string, string>, { get: (_, name) => options.secrets?.[String(name)] ?? `\${${String(name)}}` }),
      fetch: fetcher,
      fetchRecording: async () => new Response(PREVIEW_RECORDING, { headers: { 'content-type': 'audio/mpeg' } }),
      sleep: async () => {},
    });
  }
  return amoCrmAdapter(config, {
    baseUrl: options.amoBaseUrl ?? 'https://example.amocrm.ru',
    limiter,
    tokens: new LongLivedToken('preview-token'),
    fetch: fetcher,
  });
}

/** A fetch that records each request and answers from the answers file or a canned default. */
function recordingFetch(requests: RecordedRequest[], answers: PreviewAnswers, generic: GenericCrmConfig | undefined): typeof fetch {
  const used = new Map<string, number>();
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const name = generic ? requestName(generic, request.method, url.pathname) : null;
    const body = await describeBody(request);
    const key = [name, `${request.method} ${url.pathname}`].find((k) => k !== null && answers[k] !== undefined) ?? null;
    let answer: CannedAnswer;
    if (key) {
      const given = answers[key] as CannedAnswer | CannedAnswer[];
      const n = used.get(key) ?? 0;
      used.set(key, n + 1);
      answer = Array.isArray(given) ? (given[Math.min(n, given.length - 1)] ?? {}) : given;
    } else {
      answer = generic ? genericDefault(generic, name) : amoDefault(request.method, url.pathname, body);
    }
    const status = answer.status ?? 200;
    requests.push({ name, method: request.method, url: request.url, headers: Object.fromEntries(request.headers), body, status });
    const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
    return new Response(status === 204 ? null : text, { status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
}

async function describeBody(request: Request): Promise<string | null> {
  const type = request.headers.get('content-type') ?? '';
  if (!request.body) return null;
  if (type.startsWith('multipart/form-data')) {
    const form = await request.formData();
    return [...form.entries()]
      .map(([field, value]) => (typeof value === 'string' ? `${field}=${value}` : `${field}: file "${value.name}", ${value.type}, ${value.size} bytes`))
      .join('\n');
  }
  const text = await request.text();
  return text === '' ? null : text;
}

const GENERIC_REQUESTS: RequestName[] = [
  'find_contact',
  'create_contact',
  'log_call',
  'update_call',
  'attach_recording',
  'list_calls',
  'create_task',
  'list_tasks',
];

/** Which configured request a URL path belongs to (its path template, variables as wildcards). */
function requestName(generic: GenericCrmConfig, method: string, pathname: string): string | null {
  const base = new URL(generic.base_url).pathname.replace(/\/+$/, '');
  for (const name of GENERIC_REQUESTS) {
    const section = generic[name as keyof GenericCrmConfig] as { request?: { method: string; path: string } } | undefined;
    const template = section?.request;
    if (!template || template.method !== method) continue;
    const pattern = `${base}/${template.path.replace(/^\/+/, '')}`
      .split(/\{\{[^}]*\}\}/)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]+');
    if (new RegExp(`^${pattern}$`).test(pathname)) return name;
  }
  return null;
}

/** An answer in which the config's selector finds an id (a known contact, a created call). */
function genericDefault(generic: GenericCrmConfig, name: string | null): CannedAnswer {
  const ids: Partial<Record<string, [string | undefined, number]>> = {
    find_contact: [generic.find_contact.ids, 1001],
    create_contact: [generic.create_contact?.id, 2001],
    log_call: [generic.log_call.id, 3001],
    create_task: [generic.create_task?.id, 4001],
  };
  const hit = name ? ids[name] : undefined;
  if (hit?.[0]) return { status: name === 'find_contact' ? 200 : 201, body: answerFor(hit[0], hit[1]) };
  return { status: 200, body: {} };
}

/**
 * The smallest JSON in which a simple selector (`a.b`, `a[0].b`, `a[].b`) finds `value`; a
 * selector beyond that gets `{}` (give the answer in the answers file).
 */
export function answerFor(selector: string, value: unknown): unknown {
  const parts = selector.split('.');
  if (!parts.every((p) => /^[A-Za-z_][A-Za-z0-9_]*(\[\d*\])?$/.test(p))) return {};
  return parts.reduceRight<unknown>((inner, part) => {
    const [, key, index] = /^([^[]+)(\[\d*\])?$/.exec(part) ?? [];
    const wrapped = index ? [inner] : inner;
    return { [key as string]: wrapped };
  }, value);
}

/** amoCRM's answers to what the adapter sends: the items echoed with ids, by request_id. */
function amoDefault(method: string, pathname: string, body: string | null): CannedAnswer {
  const sent = (() => {
    try {
      return (JSON.parse(body ?? '[]') as { request_id?: string }[]) ?? [];
    } catch {
      return [];
    }
  })();
  const echo = (start: number, extra: (i: number) => Record<string, unknown> = () => ({})) =>
    (Array.isArray(sent) ? sent : []).map((item, i) => ({ id: start + i, request_id: item.request_id, ...extra(i) }));
  if (method === 'POST' && pathname === '/api/v4/calls')
    return { body: { _embedded: { calls: echo(3001, () => ({ entity_id: 1001, entity_type: 'contact' })) } } };
  if (method === 'POST' && pathname === '/api/v4/contacts') return { body: { _embedded: { contacts: echo(2001) } } };
  if (method === 'POST' && pathname === '/api/v4/tasks') return { body: { _embedded: { tasks: echo(4001) } } };
  if (method === 'POST' && pathname === '/api/v4/leads/unsorted/sip') {
    return {
      body: { _embedded: { unsorted: echo(0, (i) => ({ uid: `preview-${i + 1}`, _embedded: { leads: [{ id: 5001 + i }], contacts: [{ id: 2001 + i }] } })) } },
    };
  }
  return { status: 204 };
}
