/**
 * /admin/config: the config the service runs with — the integrator config after defaults, as
 * YAML, and what the environment configures — with every credential masked (admin/config-view.ts).
 * @module
 */
import type { Context } from 'hono';
import type { AdminEnv } from '../core/env';
import type { EnvironmentLine } from '../core/config-view';
import { render } from '../core/layout';

export function configPage(c: Context<AdminEnv>, d: { yaml: string; environment: EnvironmentLine[]; origin: string }) {
  return render(
    c,
    { title: 'Config', nav: 'config' },
    <>
      <h1>Effective config</h1>
      <section class="card">
        <h2>Environment</h2>
        <dl class="kv" id="config-environment">
          {d.environment.map((line) => (
            <>
              <dt>{line.name}</dt>
              <dd>{line.value}</dd>
            </>
          ))}
        </dl>
      </section>
      <section class="card">
        <h2>Integrator config</h2>
        <p class="muted">
          From {d.origin}, after defaults. Secrets are hidden; <code>{'{env: NAME}'}</code> shows whether NAME is set. Check a file before a deploy with{' '}
          <code>calltrail config validate FILE</code>.
        </p>
        <pre id="config-yaml" class="config">
          {d.yaml}
        </pre>
      </section>
    </>,
  );
}
