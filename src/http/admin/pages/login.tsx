/**
 * The sign-in form: email and password once there are users; and, while ADMIN_TOKEN is
 * configured, the bootstrap owner's sign-in with that token (the only form before any user exists). With neither a user nor ADMIN_TOKEN the console says so and
 * has no form — nobody gets in.
 * @module
 */
import type { Context } from 'hono';
import type { AdminEnv } from '../core/env';
import { Notice, render } from '../core/layout';

export interface LoginOptions {
  enabled: boolean;
  /** ADMIN_TOKEN is configured: its form is offered (folded away once there are users). */
  tokenLogin: boolean;
  /** There are users: the email and password form. */
  userLogin: boolean;
  next: string;
  email?: string;
  error?: string;
  notice?: string | undefined;
  status?: 200 | 401 | 403 | 429;
}

const TokenForm = ({ next }: { next: string }) => (
  <form method="post" action="/admin/login" id="token-sign-in">
    <input type="hidden" name="next" value={next} />
    <label>
      Admin token
      <input type="password" name="token" autocomplete="current-password" required />
    </label>
    <button type="submit">Log in</button>
  </form>
);

export function loginPage(c: Context<AdminEnv>, options: LoginOptions) {
  return render(
    c,
    { title: 'Sign in', status: options.status ?? 200 },
    <div class="login card">
      <h1>calltrail admin</h1>
      <Notice code={options.notice} />
      {options.error ? (
        <p class="notice error" role="alert">
          {options.error}
        </p>
      ) : null}
      {options.enabled ? (
        <>
          {options.userLogin ? (
            <form method="post" action="/admin/login" id="sign-in">
              <input type="hidden" name="next" value={options.next} />
              <label>
                Email
                <input type="email" name="email" autocomplete="username" value={options.email ?? ''} required autofocus />
              </label>
              <label>
                Password
                <input type="password" name="password" autocomplete="current-password" required />
              </label>
              <button type="submit">Sign in</button>
            </form>
          ) : null}
          {options.tokenLogin && options.userLogin ? (
            <details>
              <summary>Sign in with the admin token</summary>
              <TokenForm next={options.next} />
            </details>
          ) : options.tokenLogin ? (
            <TokenForm next={options.next} />
          ) : null}
        </>
      ) : (
        <p class="notice error" role="alert">
          The console is disabled: no ADMIN_TOKEN is configured. There are no users yet either: set ADMIN_TOKEN (at least 16 characters), restart the service,
          sign in with it and add users.
        </p>
      )}
    </div>,
  );
}
