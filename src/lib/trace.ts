/**
 * Spans, through the OpenTelemetry API only. Code that does work (a webhook, a delivery, a CRM
 * request) opens its span here; whether anything is recorded is the entry's choice
 * (lib/tracing.ts registers the SDK when OTEL_EXPORTER_OTLP_ENDPOINT is set). Without it the API
 * hands out non-recording spans and every helper below costs next to nothing.
 *
 * A call's trace outlives the request that started it: the conversation keeps the W3C
 * `traceparent` of the inbox apply that last changed it (ledger/trace.ts), and the delivery that
 * settles it later continues that trace from the stored text.
 *
 * Attributes never carry phone numbers or secrets: callers pass route templates and counts, and a
 * span that fails keeps the error's name, never its message (a CRM's answer quoted in an error
 * may hold a number).
 * @module
 */
import {
  type Attributes,
  type Context,
  type ContextManager,
  context,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
  TraceFlags,
} from '@opentelemetry/api';

/** The tracer of the provider registered now (none: a no-op one). */
export function tracer(): Tracer {
  return trace.getTracer('calltrail');
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The span's W3C traceparent when it is recorded and sampled; null otherwise. */
export function traceparentOf(span: Span | undefined): string | null {
  const ctx = span?.spanContext();
  if (!ctx || !span?.isRecording() || !trace.isSpanContextValid(ctx)) return null;
  return `00-${ctx.traceId}-${ctx.spanId}-${(ctx.traceFlags & TraceFlags.SAMPLED ? 1 : 0).toString(16).padStart(2, '0')}`;
}

/** A context whose parent is the span a traceparent names; null for anything else. */
export function contextFromTraceparent(value: string | null | undefined, base: Context = ROOT_CONTEXT): Context | null {
  const m = value ? TRACEPARENT.exec(value.trim().toLowerCase()) : null;
  if (!m) return null;
  const spanContext = { traceId: m[1] as string, spanId: m[2] as string, traceFlags: Number.parseInt(m[3] as string, 16), isRemote: true };
  return trace.isSpanContextValid(spanContext) ? trace.setSpanContext(base, spanContext) : null;
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The parent; default: the active span. */
  parent?: Context;
  links?: Link[];
}

/** Runs `work` inside a new active span, ended when it settles; a throw marks the span failed. */
export async function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(
    name,
    { ...(options.kind !== undefined ? { kind: options.kind } : {}), attributes: options.attributes ?? {}, links: options.links ?? [] },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * A span of work done for several calls at once (a delivery request carries up to 250): a child
 * of the first call's trace, with links to the others', so each call's trace leads to it.
 */
export function inSpanOfCalls<T>(
  name: string,
  traceparents: readonly (string | null | undefined)[],
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const seen = new Set<string>();
  const contexts: Context[] = [];
  for (const value of traceparents) {
    if (!value || seen.has(value)) continue;
    seen.add(value);
    const ctx = contextFromTraceparent(value);
    if (ctx) contexts.push(ctx);
  }
  const [first, ...rest] = contexts;
  const links = rest.flatMap((ctx) => {
    const spanContext = trace.getSpanContext(ctx);
    return spanContext ? [{ context: spanContext }] : [];
  });
  return inSpan(name, { attributes, links, ...(first ? { parent: first } : {}) }, work);
}

/** Marks the span failed with the error's name only (messages may quote a CRM's answer). */
export function failSpan(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
}

/** What both runtimes give for a context that follows promises: AsyncLocalStorage. */
export interface AsyncStore<T> {
  getStore(): T | undefined;
  run<R>(store: T, fn: () => R): R;
}

/**
 * The OpenTelemetry context kept in an AsyncLocalStorage the entry hands over (Node's, or
 * workerd's under nodejs_compat), so a span opened in a delivery is the parent of the CRM
 * requests its awaits lead to.
 */
export class AsyncStoreContextManager implements ContextManager {
  constructor(private readonly store: AsyncStore<Context>) {}

  active(): Context {
    return this.store.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.store.run(ctx, () => fn.call(thisArg, ...args));
  }

  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const fn = target as unknown as (...args: unknown[]) => unknown;
    return ((...args: unknown[]) => this.store.run(ctx, () => fn(...args))) as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    return this;
  }
}
