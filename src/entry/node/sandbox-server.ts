/**
 * `calltrail sandbox-crm`: the sandbox amoCRM as its own HTTP server, for tests that kill the
 * service, the workerd suite and benchmarks — anything that needs the CRM to outlive calltrail or
 * to run in another process. Point calltrail at it with AMOCRM_BASE_URL=http://127.0.0.1:PORT and
 * AMOCRM_LONG_LIVED_TOKEN=<--token>.
 * @module
 */
import { serve } from '@hono/node-server';
import { parseArgs } from 'node:util';
import { createAmoSandbox, type SandboxOptions } from '../../crm/sandbox';

export const SANDBOX_SERVER_USAGE = `  sandbox-crm [--port 4010] [--host 127.0.0.1] [--token T] [--rps 7] [--seed demo|none]
              [--unknown partial|reject_batch] [--latency MS] [--fault-rate R --fault-seed N]
                              run the sandbox amoCRM as an HTTP server (tests, demos, benchmarks)`;

export async function sandboxServerCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '4010' },
      host: { type: 'string', default: '127.0.0.1' },
      token: { type: 'string', default: 'sandbox-token' },
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
  const options: SandboxOptions = {
    longLivedTokens: [values.token],
    rps: number('rps', values.rps, 1, 10_000),
    unknownNumbers: values.unknown,
    latencyMs: number('latency', values.latency, 0, 60_000),
    ...(values.seed === 'demo' ? { seed: 'demo' as const } : {}),
  };
  const faultRate = number('fault-rate', values['fault-rate'], 0, 1);
  if (faultRate > 0) options.faults = { rate: faultRate, seed: number('fault-seed', values['fault-seed'], 0, 2 ** 31) };
  const sandbox = createAmoSandbox(options);
  const port = number('port', values.port, 0, 65535);
  const server = serve({ fetch: sandbox.fetch, port, hostname: values.host }, (info) => {
    console.log(JSON.stringify({ msg: 'sandbox amoCRM listening', url: `http://${values.host}:${info.port}`, rps: options.rps }));
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
