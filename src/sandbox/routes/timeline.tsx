/**
 * GET / — the sandbox's timeline page: what a rep would see in amoCRM, on one server-rendered page
 * with no CDN (it must work in a closed network and on Workers). Every value is escaped by
 * hono/jsx; recording links only become clickable when they are http(s), since an escaped
 * `javascript:` URL in an href is still a script.
 *
 * Incoming-call pop-ups (POST /api/v2/events) appear live: a few lines of plain script poll
 * GET /pops?after=<id> (JSON, same origin, so the admin session cookie goes along) every 1.5 s and
 * put an "Incoming call from … for …" banner on top, built with textContent — no markup from data.
 * The page also renders the latest banners itself, so a reload keeps them.
 * @module
 */
import { Hono } from 'hono';
import { html } from 'hono/html';
import type { FC } from 'hono/jsx';
import type { SandboxContext } from '../core/context';
import { type PhoneCallEvent, SINGULAR } from '../core/model';
import type { SandboxStore } from '../core/store';
import { buildTimeline, type CallEntry, formatWhen, type PartyTimeline } from '../core/timeline-model';

const STYLE = `
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d2430; background: #f4f6f9; }
  header, main { max-width: 52rem; margin: 0 auto; padding: .75rem 1rem; }
  header { border-bottom: 1px solid #dde1e7; }
  h1 { font-size: 1.25rem; margin: .2rem 0; } h2 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
  h3 { font-size: 1rem; margin: 0 0 .2rem; }
  .badge { display: inline-block; padding: 0 .5rem; border-radius: 1rem; font-weight: 600; }
  .ok { background: #d9f2e0; color: #17603a; } .blocked { background: #fadcd9; color: #8c1d13; }
  .card { background: #fff; border: 1px solid #dde1e7; border-radius: 8px; padding: .7rem .9rem; margin: .7rem 0; }
  .muted { color: #5b6575; font-size: .88rem; } ul { list-style: none; padding: 0; margin: .4rem 0 0; }
  li.call { border-top: 1px solid #eef0f3; padding: .45rem 0; }
  .arrow { font-weight: 700; margin-right: .3rem; } .in { color: #1769aa; } .out { color: #1d7a35; }
  audio { width: 100%; max-width: 28rem; display: block; margin-top: .3rem; }
  code { font: 12px ui-monospace, monospace; word-break: break-all; }
  table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: .2rem .4rem .2rem 0; vertical-align: top; }
  .pop { background: #fff6d6; border: 1px solid #e8c95a; border-radius: 8px; padding: .55rem .9rem; margin: .5rem 0; font-weight: 600; }
  .pop .muted { font-weight: 400; }
  @media (max-width: 30rem) { header, main { padding: .5rem .6rem; } }
`;

/** Banners shown at most (the newest). */
const POPS_SHOWN = 5;

/** Polls GET pops (relative to the page, whatever its mount point) and prepends new banners. */
const POPS_SCRIPT = `(function () {
  var box = document.getElementById('pops');
  if (!box || !window.fetch) return;
  var after = Number(box.getAttribute('data-after')) || 0;
  var url = location.pathname.replace(/\\/?$/, '/') + 'pops';
  function show(p) {
    var banner = document.createElement('div');
    banner.className = 'pop';
    banner.setAttribute('role', 'alert');
    banner.setAttribute('data-pop-id', String(p.id));
    banner.textContent = p.text;
    var when = document.createElement('span');
    when.className = 'muted';
    when.textContent = ' · ' + p.when;
    banner.appendChild(when);
    box.insertBefore(banner, box.firstChild);
    while (box.children.length > ${POPS_SHOWN}) box.removeChild(box.lastChild);
  }
  function poll() {
    fetch(url + '?after=' + after, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) return;
        body.pops.forEach(function (p) { after = Math.max(after, p.id); show(p); });
      })
      .catch(function () {})
      .then(function () { setTimeout(poll, 1500); });
  }
  setTimeout(poll, 1500);
})();`;

/** What a banner says: the card's name (else the number) and the users it is for. */
export function popView(store: SandboxStore, event: PhoneCallEvent) {
  const caller = event.element?.name || event.phone_number;
  const users = event.users.map((id) => store.user(id)?.name ?? `user ${id}`).join(', ');
  return { id: event.id, text: `Incoming call from ${caller} for ${users}`, when: formatWhen(event.created_at), phone: event.phone_number, users: event.users };
}

const Pops: FC<{ store: SandboxStore }> = ({ store }) => {
  const events = store.phoneCallEvents();
  const latest = events.at(-1)?.id ?? 0;
  return (
    <div id="pops" data-after={String(latest)} aria-live="polite">
      {events
        .slice(-POPS_SHOWN)
        .reverse()
        .map((e) => {
          const pop = popView(store, e);
          return (
            <div class="pop" role="alert" data-pop-id={String(pop.id)}>
              {pop.text}
              <span class="muted"> · {pop.when}</span>
            </div>
          );
        })}
    </div>
  );
};

const isWebLink = (link: string) => /^https?:\/\//i.test(link);

const Call: FC<{ call: CallEntry }> = ({ call }) => (
  <li class="call" data-note-id={String(call.id)}>
    <span class={`arrow ${call.inbound ? 'in' : 'out'}`} title={call.inbound ? 'inbound' : 'outbound'}>
      {call.inbound ? '↙ in' : '↗ out'}
    </span>
    <strong>{call.when}</strong> · {call.duration} · {call.phone}
    {call.status ? <> · {call.status}</> : null}
    {call.result ? <> · {call.result}</> : null}
    <div class="muted">
      {call.responsible} · on {call.where} · uniq <code>{call.uniq || '—'}</code>
    </div>
    {call.link ? (
      <div>
        <audio controls preload="none" src={call.link}></audio>
        <code>{isWebLink(call.link) ? <a href={call.link}>{call.link}</a> : call.link}</code>
      </div>
    ) : null}
  </li>
);

const Party: FC<{ t: PartyTimeline }> = ({ t }) => (
  <section class="card">
    <h3>
      {t.party.name || '(no name)'}{' '}
      <span class="muted">
        {t.kind} #{t.party.id}
      </span>
    </h3>
    <div class="muted">{t.party.phones.map((p) => `${p.value} (${p.enum_code})`).join(', ') || 'no phone'}</div>
    {t.calls.length ? (
      <ul>
        {t.calls.map((call) => (
          <Call call={call} />
        ))}
      </ul>
    ) : (
      <div class="muted">no calls yet</div>
    )}
  </section>
);

function Page({ ctx }: { ctx: SandboxContext }) {
  const { store } = ctx;
  const blocked = ctx.limiter.blocked;
  const stats = ctx.stats.snapshot(blocked);
  const parties = buildTimeline(store);
  const unsorted = store.unsorted();
  const tasks = store.tasks();
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>calltrail sandbox amoCRM</title>
        <style>{STYLE}</style>
      </head>
      <body>
        <header>
          <h1>calltrail's sandbox amoCRM</h1>
          <div class="muted">A fake amoCRM account ({ctx.options.subdomain}.amocrm.ru) for tests and demos; nothing here reaches a real CRM.</div>
          <p>
            Account status: <span class={`badge ${blocked ? 'blocked' : 'ok'}`}>{blocked ? 'blocked' : 'ok'}</span>{' '}
            <span class="muted">
              {stats.requests} API requests · {stats.rateLimited} × 429 · {stats.notesWritten} call notes written · {stats.faultsInjected} faults
            </span>
          </p>
        </header>
        <main>
          <Pops store={store} />
          <h2>Contacts</h2>
          {parties.length ? parties.map((t) => <Party t={t} />) : <p class="muted">no contacts</p>}
          <h2>Unsorted</h2>
          {unsorted.length ? (
            <table class="card">
              <tr>
                <th>when</th>
                <th>phone</th>
                <th>uniq</th>
                <th>source</th>
              </tr>
              {unsorted.map((u) => (
                <tr>
                  <td>{formatWhen(u.created_at)}</td>
                  <td>{u.metadata.phone}</td>
                  <td>
                    <code>{u.metadata.uniq}</code>
                  </td>
                  <td>{u.source_name}</td>
                </tr>
              ))}
            </table>
          ) : (
            <p class="muted">nothing unsorted</p>
          )}
          <h2>Tasks</h2>
          {tasks.length ? (
            <table class="card">
              <tr>
                <th>due</th>
                <th>task</th>
                <th>for</th>
                <th>responsible</th>
              </tr>
              {tasks.map((t) => (
                <tr>
                  <td>{formatWhen(t.complete_till)}</td>
                  <td>{t.text}</td>
                  <td>{t.entity_type ? `${SINGULAR[t.entity_type]} #${t.entity_id}` : '—'}</td>
                  <td>{store.user(t.responsible_user_id)?.name ?? t.responsible_user_id}</td>
                </tr>
              ))}
            </table>
          ) : (
            <p class="muted">no tasks</p>
          )}
        </main>
        <script dangerouslySetInnerHTML={{ __html: POPS_SCRIPT }} />
      </body>
    </html>
  );
}

export function timelineRoutes(ctx: SandboxContext) {
  const app = new Hono();
  app.get('/', (c) => c.html(html`<!doctype html>${<Page ctx={ctx} />}`));
  app.get('/pops', (c) => {
    const after = Number(c.req.query('after') ?? 0) || 0;
    const pops = ctx.store
      .phoneCallEvents()
      .filter((e) => e.id > after)
      .map((e) => popView(ctx.store, e));
    return c.json({ pops });
  });
  return app;
}
