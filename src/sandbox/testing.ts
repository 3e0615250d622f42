/**
 * Helpers for tests that drive the sandbox over HTTP (its own and the adapter's): a clock that
 * moves only when told, and a one-line request that returns status, headers and the parsed body.
 * Kept free of any test framework so it can be imported from anywhere.
 * @module
 */
import { type AmoSandbox, createAmoSandbox, type SandboxOptions } from './index';

export const TEST_TOKEN = 'sandbox-test-token';

export class ManualClock {
  constructor(public ms = Date.UTC(2026, 10, 20, 10, 0, 0)) {}
  now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
  get unix(): number {
    return Math.floor(this.ms / 1000);
  }
}

/** A sandbox on a manual clock that accepts TEST_TOKEN; a high rps unless the test is about limits. */
export function testSandbox(options: SandboxOptions = {}): { sb: AmoSandbox; clock: ManualClock } {
  const clock = new ManualClock();
  const sb = createAmoSandbox({ now: clock.now, rps: 1000, longLivedTokens: [TEST_TOKEN], ...options });
  return { sb, clock };
}

export interface Answer {
  status: number;
  contentType: string;
  text: string;
  /** The parsed JSON body; `any` because tests poke deep into vendor-shaped bodies. */
  // biome-ignore lint/suspicious/noExplicitAny: read by tests only, deep into amoCRM-shaped bodies
  json: any;
  headers: Headers;
}

export async function call(sb: AmoSandbox, method: string, path: string, body?: unknown, token: string | null = TEST_TOKEN): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await sb.app.request(path, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, json, headers: res.headers };
}

/** A minimal valid /api/v4/calls item. */
export function callItem(phone: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { direction: 'inbound', duration: 65, source: 'calltrail', phone, ...extra };
}
