/**
 * Turns tracing on for the process or isolate: the OpenTelemetry SDK's tracer provider with a
 * batch processor and the official OTLP/HTTP (JSON) exporter, registered as the global provider
 * that lib/trace.ts's spans go to. The entries call it when OTEL_EXPORTER_OTLP_ENDPOINT is set.
 *
 * The same packages run on both runtimes: on Node the exporter posts through node:http, on workerd
 * (its bundle takes the packages' browser build) through fetch. workerd keeps no timer running
 * after a request, so the Worker entry flushes at the end of each request and scheduled run;
 * Node flushes on its timer and at shutdown.
 * @module
 */
import { type ContextManager, context, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

export interface TracingOptions {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL; spans go to `<endpoint>/v1/traces`. */
  endpoint: string;
  /** OTEL_EXPORTER_OTLP_HEADERS (an API key of a hosted collector). */
  headers?: Record<string, string>;
  /** Keeps the active span across awaits (lib/trace.ts AsyncStoreContextManager). */
  contextManager: ContextManager;
  runtime: 'node' | 'workerd';
  version?: string;
}

export interface Tracing {
  /** Sends what is buffered now. */
  flush(): Promise<void>;
  /** Flushes, then unregisters: spans after this are no-ops. */
  shutdown(): Promise<void>;
}

export function startTracing(options: TracingOptions): Tracing {
  const exporter = new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/+$/, '')}/v1/traces`, headers: { ...options.headers }, timeoutMillis: 10_000 });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'calltrail',
      ...(options.version ? { 'service.version': options.version } : {}),
      'calltrail.runtime': options.runtime,
    }),
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: 2_000 })],
  });
  // A second registration (a test, a restart in process) replaces the first.
  trace.disable();
  context.disable();
  context.setGlobalContextManager(options.contextManager.enable());
  trace.setGlobalTracerProvider(provider);
  return {
    flush: () => provider.forceFlush(),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}
