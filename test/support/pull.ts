/**
 * What a PBX pull test needs: the settings and integrator config a pull reads (from env vars and
 * the sources section, as a deployment would give them) with a logger that keeps its lines, and
 * every page a pull yields.
 */
import { HttpResponse } from 'msw';
import type { AppDeps } from '../../src/deps';
import { memoryLogger } from '../../src/lib/log';
import { sourcesConfigSchema } from '../../src/pbx/sources-config';
import { parseEnv } from '../../src/settings/env';
import { defaultIntegratorConfig } from '../../src/settings/integrator';

export function pullDeps(env: Record<string, string>, sources: Record<string, unknown> = {}) {
  const log = memoryLogger();
  const config = { ...defaultIntegratorConfig(), sources: sourcesConfigSchema.parse(sources) };
  return { deps: { settings: parseEnv(env), config, log } as unknown as AppDeps, log };
}

export async function collect<T>(pull: AsyncIterable<T>): Promise<T[]> {
  const pages: T[] = [];
  for await (const page of pull) pages.push(page);
  return pages;
}

/** The error a pull ends with (null when it completes): every page is asked for until it fails. */
export function failureOf(pull: AsyncIterable<unknown>): Promise<Error | null> {
  return collect(pull).then(
    () => null,
    (e: unknown) => e as Error,
  );
}

/** A vendor's answer with a status: JSON for an object, the text as it is for a string. */
export function vendorAnswer(body: string | object, status: number): Response {
  return typeof body === 'string' ? new HttpResponse(body, { status }) : HttpResponse.json(body, { status });
}
