/**
 * GET /api/v4/account and /api/v4/users: who the token speaks for. A real account always has at
 * least one user, so the user list is never a 204 here (the seed guarantees an admin).
 * @module
 */
import { Hono } from 'hono';
import type { SandboxContext } from '../core/context';
import type { User } from '../core/model';
import { pageLinks, pageOf, paging, selfLink } from '../core/query';
import { hal, noContent } from '../core/responses';

function userView(user: User, url: URL) {
  return {
    id: user.id,
    name: user.name,
    email: `user${user.id}@sandbox.example`,
    lang: 'ru',
    rights: { is_admin: user.id === 1000, is_free: false, is_active: true },
    _links: selfLink(url, `/api/v4/users/${user.id}`),
  };
}

export function accountRoutes(ctx: SandboxContext) {
  const app = new Hono();
  const { store } = ctx;

  app.get('/account', (c) => {
    const url = new URL(c.req.url);
    return hal({
      id: store.accountId,
      name: `calltrail sandbox (${ctx.options.subdomain})`,
      subdomain: ctx.options.subdomain,
      created_at: 0,
      created_by: 0,
      updated_at: 0,
      updated_by: 0,
      current_user_id: store.currentUserId(),
      country: 'RU',
      currency: 'RUB',
      currency_symbol: '₽',
      customers_mode: 'segments',
      is_unsorted_on: true,
      is_loss_reason_enabled: false,
      is_helpbot_enabled: false,
      is_technical_account: true,
      contact_name_display_order: 1,
      _links: selfLink(url, '/api/v4/account'),
    });
  });

  app.get('/users', (c) => {
    const url = new URL(c.req.url);
    const page = paging(url);
    if (!page.ok) return page.response;
    const all = store.users();
    const { items, hasNext } = pageOf(all, page.value);
    if (items.length === 0) return noContent();
    return hal({
      _total_items: all.length,
      _page: page.value.page,
      _links: pageLinks(url, page.value.page, hasNext),
      _embedded: { users: items.map((u) => userView(u, url)) },
    });
  });

  app.get('/users/:id{[0-9]+}', (c) => {
    const user = store.user(Number(c.req.param('id')));
    return user ? hal(userView(user, new URL(c.req.url))) : noContent();
  });
  return app;
}
