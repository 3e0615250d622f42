/**
 * The login form: the ADMIN_TOKEN, nothing else. Without a token configured the console says so
 * and has no form — nobody gets in.
 * @module
 */
import type { Context } from 'hono';
import type { AdminEnv } from '../core/env';
import { Notice, render } from '../core/layout';

export function loginPage(c: Context<AdminEnv>, options: { enabled: boolean; next: string; error?: string; notice?: string; status?: 200 | 401 | 403 }) {
  return render(
    c,
    { title: 'Log in', status: options.status ?? 200 },
    <div class="login card">
      <h1>calltrail admin</h1>
      <Notice code={options.notice} />
      {options.enabled ? (
        <form method="post" action="/admin/login">
          {options.error ? (
            <p class="notice error" role="alert">
              {options.error}
            </p>
          ) : null}
          <input type="hidden" name="next" value={options.next} />
          <label>
            Admin token
            <input type="password" name="token" autocomplete="current-password" required autofocus />
          </label>
          <button type="submit">Log in</button>
        </form>
      ) : (
        <p class="notice error" role="alert">
          The console is disabled: no ADMIN_TOKEN is configured. Set ADMIN_TOKEN (at least 16 characters) and restart the service.
        </p>
      )}
    </div>,
  );
}
