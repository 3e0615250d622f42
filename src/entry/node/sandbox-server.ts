/**
 * `calltrail sandbox-crm`: the sandbox amoCRM as its own HTTP server, for tests that kill the
 * service, the workerd suite and benchmarks — anything that needs the CRM to outlive calltrail or
 * to run in another process. Point calltrail at it with AMOCRM_BASE_URL=http://127.0.0.1:PORT and
 * AMOCRM_LONG_LIVED_TOKEN=<--token>.
 *
 * Who may use it: its amoCRM API answers to --token, as amoCRM does. Its timeline page and its
 * /__sandbox controls (faults, blocks, deleting notes) have no amoCRM auth; they are open on
 * loopback (the default --host 127.0.0.1, what tests and the demo use) and need
 * `Authorization: Bearer <--admin-token>` once one is given. Bound beyond loopback the server
 * does not start without an --admin-token and a --token of the operator's own.
 * @module
 */
import { serve } from '@hono/node-server';
import { timingSafeEqual } from 'hono/utils/buffer';
import { parseArgs } from 'node:util';
import { createAmoSandbox, type SandboxOptions } from '../../sandbox';
import { problem } from '../../sandbox/core/responses';
import { isLoopbackHost } from '../../http/admin/core/sandbox-access';

import { SANDBOX_SERVER_USAGE } from './usage';

export { SANDBOX_SERVER_USAGE };

const DEFAULT_TOKEN = 'sandbox-token';
const MIN_ADMIN_TOKEN = 16;

export interface SandboxServerSettings {
  host: string;
  port: number;
  adminToken?: string;
  options: SandboxOptions;
}

/** The command line, checked: every problem is an Error whose message names the option. */
export function sandboxServerSettings(args: string[]): SandboxServerSettings {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '4010' },
      host: { type: 'string', default: '127.0.0.1' },
      token: { type: 'string', default: DEFAULT_TOKEN },
      'admin-token': { type: 'string' },
      rps: { type: 'string', default: '7' },
      seed: { type: 'string', default: 'demo' },
      unknown: { type: 'string', default: 'partial' },
      latency: { type: 'string', default: '0' },
      'fault-rate': { type: 'string', default: '0' },
      'fault-seed': { type: 'string', default: '1' },
    },
  });
  const number = (name: string, value: string, min: number, max: number) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} expects a number from ${min} to ${max}, got "${value}"`);
    return n;
  };
  if (values.unknown !== 'partial' && values.unknown !== 'reject_batch') throw new Error('--unknown is partial or reject_batch');
  if (values.seed !== 'demo' && values.seed !== 'none') throw new Error('--seed is demo or none');
  const adminToken = values['admin-token'];
  if (adminToken !== undefined && adminToken.length < MIN_ADMIN_TOKEN) {
    throw new Error(`--admin-token must be at least ${MIN_ADMIN_TOKEN} characters`);
  }
  if (!isLoopbackHost(values.host)) {
    if (!adminToken) {
      throw new Error(
        `--host ${values.host} reaches beyond this machine: give --admin-token (at least ${MIN_ADMIN_TOKEN} characters) to guard the page and the /__sandbox controls`,
      );
    }
    if (values.token === DEFAULT_TOKEN) {
      throw new Error(`--host ${values.host} reaches beyond this machine: give a --token of your own (the default "${DEFAULT_TOKEN}" is public)`);
    }
  }
  const options: SandboxOptions = {
    longLivedTokens: [values.token],
    rps: number('rps', values.rps, 1, 10_000),
    unknownNumbers: values.unknown,
    latencyMs: number('latency', values.latency, 0, 60_000),
    ...(values.seed === 'demo' ? { seed: 'demo' as const } : {}),
  };
  const faultRate = number('fault-rate', values['fault-rate'], 0, 1);
  if (faultRate > 0) options.faults = { rate: faultRate, seed: number('fault-seed', values['fault-seed'], 0, 2 ** 31) };
  return { host: values.host, port: number('port', values.port, 0, 65535), options, ...(adminToken ? { adminToken } : {}) };
}

/** amoCRM's own endpoints: they authenticate with the sandbox's tokens (or OAuth client secrets). */
const AMOCRM_PATHS = /^\/(?:api\/v4\/|oauth2\/|oauth(?:\/|$))/;

/** The sandbox's fetch, with its page and controls behind the admin token when there is one. */
export function guardedSandboxFetch(fetch: (request: Request) => Promise<Response>, adminToken: string | undefined): (request: Request) => Promise<Response> {
  if (!adminToken) return fetch;
  return async (request) => {
    if (AMOCRM_PATHS.test(new URL(request.url).pathname)) return fetch(request);
    const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.get('authorization') ?? '')?.[1]?.trim();
    if (bearer !== undefined && (await timingSafeEqual(bearer, adminToken))) return fetch(request);
    const refused = problem(401, 'the sandbox page and its /__sandbox controls need Authorization: Bearer <--admin-token>');
    refused.headers.set('WWW-Authenticate', 'Bearer realm="calltrail sandbox"');
    return refused;
  };
}

export async function sandboxServerCommand(args: string[]): Promise<void> {
  const settings = sandboxServerSettings(args);
  const sandbox = createAmoSandbox(settings.options);
  const fetch = guardedSandboxFetch(sandbox.fetch, settings.adminToken);
  const server = serve({ fetch, port: settings.port, hostname: settings.host }, (info) => {
    console.log(
      JSON.stringify({
        msg: 'sandbox amoCRM listening',
        url: `http://${settings.host}:${info.port}`,
        rps: settings.options.rps,
        controls: settings.adminToken ? 'admin token required' : 'open (loopback)',
      }),
    );
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
