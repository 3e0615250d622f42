/**
 * GET /contacts/card/:id — a contact's card as amoCRM shows it to a rep, just enough to run a real
 * amoCRM widget on it: the contact's phones as links, and a tiny AMD loader (`define`) with a fake
 * `AMOCRM` global (constant('user'), notifications) that loads calltrail's widget from
 * /widget/amocrm/script.js (same origin as the sandbox when calltrail mounts it), runs its
 * render/init/bind_actions callbacks, and hands a phone click to the action the widget registered
 * with add_action('phone', …), as amoCRM's telephony hook does. The widget's settings come from
 * the query: ?calltrail_url= (default: this page's origin), ?token=, ?user= (default: the
 * contact's responsible user). Notifications are listed on the page (#notifications).
 *
 * Two more of amoCRM's widget methods, as amoCRM gives them:
 * - `render_template({caption, body, render})` puts the widget's HTML in the card's widget panel
 *   (#widget-panel);
 * - `$authorizedAjax(options)` asks POST /widget/one-time-token for a one-time token of the card's
 *   user (core/one-time-tokens.ts; 404 when the sandbox has no widgetSecret), sends the request
 *   with it in X-Auth-Token, and resolves with the parsed JSON — or rejects with
 *   {status, responseJSON, responseText} on a non-2xx answer, as jQuery's deferred does.
 * @module
 */
import { Hono } from 'hono';
import { html, raw } from 'hono/html';
import * as z from 'zod';
import type { SandboxContext } from '../core/context';
import { ONE_TIME_TOKEN_SECONDS, oneTimeTokenId, signOneTimeToken } from '../core/one-time-tokens';
import { mulberry32, seedFrom } from '../core/prng';
import { problem } from '../core/responses';
import { widgetFile } from '../../widget/amocrm/archive';

const STYLE = `
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d2430; background: #f4f6f9; }
  main { max-width: 40rem; margin: 0 auto; padding: .75rem 1rem; }
  .card { background: #fff; border: 1px solid #dde1e7; border-radius: 8px; padding: .7rem .9rem; margin: .7rem 0; }
  .muted { color: #5b6575; font-size: .88rem; } ul { padding-left: 1.2rem; }
  #notifications li.error { color: #8c1d13; } #notifications li.message { color: #17603a; }
  #widget-panel .calltrail button { font: inherit; padding: .35rem .8rem; border-radius: 6px; border: 1px solid #2257a8; background: #2b6cd4; color: #fff; cursor: pointer; }
`;

/** The page's one script: a constant; the card's data reaches it as JSON in #card-data. */
const LOADER = `(function () {
  var data = JSON.parse(document.getElementById('card-data').textContent);
  var query = new URLSearchParams(location.search);
  var settings = { calltrail_url: query.get('calltrail_url') || location.origin, token: query.get('token') || '' };
  var list = document.getElementById('notifications');
  // Where the sandbox is mounted (its routes are relative to its root, this page is /contacts/card/:id).
  var root = location.pathname.split('/contacts/card/')[0];
  function parsed(text) { try { return JSON.parse(text); } catch (error) { return undefined; } }
  /** fetch → the parsed body, or a rejection shaped like jQuery's jqXHR. */
  function answered(response) {
    return response.text().then(function (text) {
      var body = parsed(text);
      if (!response.ok) throw { status: response.status, responseJSON: body, responseText: text };
      return body === undefined ? text : body;
    });
  }
  function authorizedAjax(options) {
    var target = new URL(options.url, location.href);
    return fetch(root + '/widget/one-time-token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: data.user.id, aud: target.origin }),
    }).then(answered).then(function (issued) {
      var headers = Object.assign({}, options.headers || {}, { 'X-Auth-Token': issued.token });
      var method = String(options.method || options.type || 'GET').toUpperCase();
      var init = { method: method, headers: headers };
      if (options.data !== undefined && method !== 'GET') {
        init.body = typeof options.data === 'string' ? options.data : JSON.stringify(options.data);
        if (typeof options.data !== 'string') headers['content-type'] = 'application/json';
      }
      return fetch(target.href, init);
    }).then(answered);
  }
  function renderTemplate(options) {
    var panel = document.getElementById('widget-panel');
    var block = document.createElement('div');
    block.className = (options && options.caption && options.caption.class_name) || 'widget';
    block.innerHTML = (options && (options.render || options.body)) || '';
    panel.appendChild(block);
    panel.hidden = false;
  }
  function show(kind, message) {
    var item = document.createElement('li');
    item.className = kind;
    item.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    item.textContent = (message && message.header ? message.header + ': ' : '') + (message && message.text);
    list.appendChild(item);
  }
  window.AMOCRM = {
    constant: function (name) {
      if (name === 'user') return { id: data.user.id, name: data.user.name };
      if (name === 'account') return { id: data.account.id, subdomain: data.account.subdomain };
      return undefined;
    },
    notifications: {
      show_message: function (m) { show('message', m); },
      show_message_error: function (m) { show('error', m); },
    },
    data: { current_entity: 'contacts', current_card: { id: data.contact.id } },
  };
  var modules = { jquery: window.jQuery || function () { throw new Error('the sandbox card has no jQuery'); } };
  var factory = null;
  window.define = function (deps, make) {
    factory = function () { return make.apply(null, deps.map(function (name) { return modules[name]; })); };
  };
  window.define.amd = {};
  function boot(Widget) {
    var actions = {};
    Widget.prototype.add_action = function (type, action) { actions[type] = action; };
    Widget.prototype.get_settings = function () { return settings; };
    Widget.prototype.i18n = function (section) { return data.langs[section]; };
    Widget.prototype.langs = data.langs;
    Widget.prototype.system = function () { return { area: 'ccard', amouser_id: data.user.id, subdomain: data.account.subdomain }; };
    Widget.prototype.render_template = renderTemplate;
    Widget.prototype.$authorizedAjax = authorizedAjax;
    var widget = new Widget();
    ['render', 'init', 'bind_actions'].forEach(function (name) { widget.callbacks[name](); });
    Array.prototype.forEach.call(document.querySelectorAll('a.phone'), function (link) {
      link.addEventListener('click', function (event) {
        event.preventDefault();
        if (actions.phone) actions.phone({ value: link.getAttribute('data-phone'), element: { id: data.contact.id, type: 'contact' } });
        else show('error', { text: 'the widget registered no phone action' });
      });
    });
    document.body.setAttribute('data-widget', 'ready');
  }
  var script = document.createElement('script');
  script.src = '/widget/amocrm/script.js';
  script.onload = function () {
    try { boot(factory()); } catch (error) { show('error', { text: 'the widget failed to start: ' + error.message }); document.body.setAttribute('data-widget', 'failed'); }
  };
  script.onerror = function () { show('error', { text: 'could not load /widget/amocrm/script.js' }); document.body.setAttribute('data-widget', 'failed'); };
  document.head.appendChild(script);
})();`;

/** JSON safe inside a <script> element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

const tokenRequest = z.object({
  user_id: z.number().int().min(1).max(2147483647),
  /** The integration's base address (its redirect URI's); default: this request's origin. */
  aud: z.string().url().max(2000).optional(),
});

export function cardRoutes(ctx: SandboxContext) {
  const app = new Hono();
  const random = mulberry32(seedFrom(`${ctx.options.subdomain}/one-time-tokens`));
  app.post('/widget/one-time-token', async (c) => {
    const secret = ctx.options.widgetSecret;
    if (!secret) return problem(404, 'this sandbox signs no one-time tokens: it was created without a widgetSecret');
    const asked = tokenRequest.safeParse(await c.req.json().catch(() => undefined));
    if (!asked.success) return problem(400, asked.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '));
    const now = ctx.unix();
    const jti = oneTimeTokenId(random, now);
    const aud = asked.data.aud ?? new URL(c.req.url).origin;
    const claims = { subdomain: ctx.options.subdomain, accountId: ctx.store.accountId, userId: asked.data.user_id, aud, now };
    return c.json({ token: await signOneTimeToken(secret, jti, claims), jti, expires_at: now + ONE_TIME_TOKEN_SECONDS });
  });
  app.get('/contacts/card/:id', (c) => {
    const contact = ctx.store.contact(Number(c.req.param('id')));
    if (!contact) return c.html(html`<!doctype html><title>No such contact</title><p>No contact #${c.req.param('id')}.</p>`, 404);
    const userId = Number(c.req.query('user') ?? contact.responsible_user_id);
    const user = ctx.store.user(userId) ?? { id: userId, name: `user ${userId}` };
    const langs = (JSON.parse(widgetFile('i18n/en.json') ?? '{}') as Record<string, unknown>) ?? {};
    const data = { contact: { id: contact.id, name: contact.name }, user, account: { id: ctx.store.accountId, subdomain: ctx.options.subdomain }, langs };
    return c.html(html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${contact.name} · sandbox amoCRM</title>
    <style>${raw(STYLE)}</style>
  </head>
  <body data-widget="loading">
    <main>
      <section class="card">
        <h1>${contact.name || '(no name)'}</h1>
        <div class="muted">contact #${contact.id} · you are ${user.name} (#${user.id})</div>
        <h2>Phones</h2>
        <ul id="phones">
          ${contact.phones.map((p) => html`<li><a class="phone" href="tel:${p.value}" data-phone="${p.value}">${p.value}</a> <span class="muted">${p.enum_code}</span></li>`)}
        </ul>
      </section>
      <section class="card" id="widget-panel" hidden>
        <h2>Widgets</h2>
      </section>
      <section class="card">
        <h2>Notifications</h2>
        <ul id="notifications" aria-live="polite"></ul>
      </section>
    </main>
    <script type="application/json" id="card-data">${raw(scriptJson(data))}</script>
    <script>${raw(LOADER)}</script>
  </body>
</html>`);
  });
  return app;
}
