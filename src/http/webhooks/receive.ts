/**
 * What every PBX webhook does, in this order: is the source enabled (else 404) → is the request
 * authentic, checked over the body's bytes exactly as sent (else 401, nothing stored) → decode the
 * bytes to text in the source's charset → does the body parse, and is it something the ledger can
 * always apply (domain/admit.ts) (else 400 naming the field, nothing stored) → store the text in
 * the inbox and apply it (2xx only after the commit; on Workers with queues, stored as queued and
 * applied by the queue's consumer). Each source supplies, as data
 * (pbx/core/webhook.ts), its parser, its verification, and what it keeps with the body (meta).
 * @module
 */
import type { Context } from 'hono';
import { inboxDeps, type AppDeps } from '../../deps';
import { admissionProblems } from '../../domain/admit';
import { ingest, type IngestInput, type IngestResult } from '../../ledger/inbox';
import { rememberTrace } from '../../ledger/trace';
import { inSpan, traceparentOf } from '../../lib/trace';
import { afterLiveMoments, hasLiveMoments, lookupCaller } from '../../live';
import { InvalidPayloadError, type ParseContext } from '../../pbx/core/parse';
import type { PbxSource } from '../../pbx/core/source';
import { ACCEPTED_RESULT, type CallRoute, type DecodedWebhookRequest, type PbxUrlCheck, type PbxWebhook, type WebhookRequest } from '../../pbx/core/webhook';
import { ApiError } from '../core/errors';
import { decodedRequest, receivedRequest } from './request';

/** The source's credentials, or the 404 of a source that is not enabled. */
function enabledCredentials(source: PbxSource, endpoint: PbxWebhook | PbxUrlCheck, deps: AppDeps): unknown {
  const credentials = endpoint.credentials(deps);
  if (credentials === undefined) {
    throw new ApiError('source_disabled', `the ${source.name} source is not enabled: ${endpoint.enableHint}`);
  }
  return credentials;
}

/** The request, once its signature or credentials checked out (else a 401). */
async function authenticRequest(c: Context, deps: AppDeps, source: PbxSource, webhook: PbxWebhook): Promise<{ request: WebhookRequest; now: Date }> {
  const credentials = enabledCredentials(source, webhook, deps);
  const request = await receivedRequest(c, deps.settings.publicUrl);
  const now = (deps.now ?? (() => new Date()))();
  const verdict = await webhook.verify(request, credentials, now.getTime() / 1000);
  if (!verdict.ok) {
    if (webhook.challenge) c.header('WWW-Authenticate', webhook.challenge);
    throw new ApiError('invalid_signature', verdict.reason);
  }
  return { request, now };
}

export async function receiveWebhook(c: Context, deps: AppDeps, source: PbxSource, webhook: PbxWebhook): Promise<Response> {
  // Wall-clock time of arrival: a screen pop's deadline and latency count from here.
  const arrivedAtMs = Date.now();
  const { request: received, now } = await authenticRequest(c, deps, source, webhook);
  if (webhook.receive === 'ignore') {
    deps.log.debug(`${source.name} notification not used by calltrail`, { path: c.req.path });
    return c.json({ status: 'ignored' }, 200);
  }
  const nul = received.body.indexOf(0);
  if (nul >= 0) throw new InvalidPayloadError([`body: contains a NUL byte (at byte ${nul})`]);
  const request = decodedRequest(received, webhook.charset?.(deps) ?? 'auto', webhook.form?.(received) ?? false);
  const inbox = inboxDeps(deps);
  const input = await ingestInput(deps, source, webhook, request, inbox.ctx.parse);
  const problems = admissionProblems(input, { maxCallSeconds: deps.config.max_call_seconds, now });
  if (problems.length) throw new InvalidPayloadError(problems);
  // Workers with a queue store the body and let the queue's consumer apply it; a ring cannot wait for that.
  const result = deps.queueBody && !hasLiveMoments(input.events) ? await deps.queueBody(input) : await applyBody(deps, inbox, input);
  if (result.status === 'refused') throw new InvalidPayloadError(result.problems);
  if (result.status === 'processed') deps.wakeDelivery?.();
  if (result.status === 'processed' && hasLiveMoments(input.events)) popInBackground(deps, input, arrivedAtMs);
  const caller = webhook.routeCall?.caller(request);
  if (webhook.routeCall && caller) {
    const answer = webhook.routeCall.answer(await routeFor(deps, caller)) as Record<string, unknown>;
    // Nothing to say (no name, no route): the PBX's usual answer, so it routes the call its own way.
    if (Object.keys(answer).length > 0) return c.json(answer, 200);
  }
  return accepted(c, webhook, result);
}

/**
 * The body into the inbox and the ledger, in the `inbox apply` span; the conversations it changed
 * keep that span's traceparent, so their delivery continues the trace (ledger/trace.ts).
 */
function applyBody(deps: AppDeps, inbox: ReturnType<typeof inboxDeps>, input: IngestInput): Promise<IngestResult> {
  const attributes = { 'calltrail.source': input.source, 'calltrail.events': input.events.length };
  return inSpan('inbox apply', { attributes }, async (span) => {
    const result = await (deps.ingest ? deps.ingest(input) : ingest(inbox, input));
    span.setAttribute('calltrail.inbox.status', result.status);
    const traceparent = result.status === 'processed' ? traceparentOf(span) : null;
    if (traceparent) await rememberTrace(deps.db, inbox.ctx.conversationSource, input, traceparent);
    return result;
  });
}

/** Where a ringing call should go, by the caller lookup (which never takes longer than its deadline). */
async function routeFor(deps: AppDeps, caller: { phone: string; line: string | null }): Promise<CallRoute> {
  const answer = await lookupCaller(deps, caller.phone, caller.line);
  return { route: deps.config.live.route_calls ? answer.route : null, callerName: answer.caller_name };
}

/** The ringing calls of a stored body are shown to their users after the PBX has its answer. */
function popInBackground(deps: AppDeps, input: IngestInput, arrivedAtMs: number): void {
  const work = afterLiveMoments(deps, input.source, input.events, arrivedAtMs).catch((error: unknown) =>
    deps.log.error('screen pops failed', { source: input.source, error }),
  );
  deps.defer?.(work);
}

/** The body parsed into events, with what is kept beside it for replays. */
async function ingestInput(deps: AppDeps, source: PbxSource, webhook: PbxWebhook, request: DecodedWebhookRequest, ctx: ParseContext): Promise<IngestInput> {
  const meta = { ...webhook.meta?.(request), ...(await webhook.lookup?.(request, deps)) };
  // The text is what is stored; the charset it was read in is kept for people reading the inbox.
  if (request.charset !== 'utf-8') meta.charset = request.charset;
  const events = source.parser.parse(request.raw, meta, ctx);
  const dedupeKey = webhook.dedupeKey?.(request);
  return { source: source.name, raw: request.raw, events, ...(Object.keys(meta).length ? { meta } : {}), ...(dedupeKey ? { dedupeKey } : {}) };
}

function accepted(c: Context, webhook: PbxWebhook, result: Exclude<IngestResult, { status: 'refused' }>): Response {
  const answer = webhook.accepted ?? ACCEPTED_RESULT;
  if (answer.body === 'empty') return c.body(null, answer.status);
  return c.json({ status: result.status, inbox_id: result.inboxId, events: result.events }, answer.status);
}

/** A GET by which the PBX checks the URL: answered with the text it expects, as plain text. */
export function answerUrlCheck(c: Context, deps: AppDeps, source: PbxSource, check: PbxUrlCheck): Response {
  enabledCredentials(source, check, deps);
  // Read as Hono reads a query (values decoded once), into the source's framework-free form.
  const text = check.echo(new URLSearchParams(c.req.query()));
  c.header('X-Content-Type-Options', 'nosniff');
  return c.text(text, 200);
}
