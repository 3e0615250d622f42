/**
 * The sandbox amoCRM: an in-repo fake of the amoCRM (Kommo) v4 HTTP API, faithful to the vendor's
 * behaviour including its unfriendly parts, as a portable Hono app (Node, Workers, in-process).
 *
 * Routes (relative to the app's root):
 * - POST /oauth2/access_token, GET /oauth                       OAuth (routes/oauth.ts)
 * - POST /api/v4/calls                                          call log (routes/calls.ts)
 * - GET|PATCH /api/v4/{leads|contacts|companies|customers}/notes, …/{id}/notes[/{id}]  (routes/notes.ts)
 * - GET /api/v4/contacts[/{id}], POST /api/v4/contacts          (routes/contacts.ts)
 * - GET /api/v4/companies[/{id}], GET /api/v4/leads[/{id}]      (routes/companies.ts, routes/leads.ts)
 * - POST /api/v2/events                                         incoming-call pop-up (routes/events.ts)
 * - POST /api/v4/leads/unsorted/sip, GET /api/v4/leads/unsorted (routes/unsorted.ts)
 * - POST|GET /api/v4/tasks                                      (routes/tasks.ts)
 * - GET /api/v4/users[/{id}], GET /api/v4/account               (routes/account.ts)
 * - /__sandbox/{state,stats,faults,unblock,contacts,notes/:uniq[/link]}  controls, no auth (routes/controls.ts)
 * - GET /, GET /pops                                            timeline page and its live pop-ups (timeline.tsx)
 * - GET /contacts/card/:id, POST /widget/one-time-token         a card running a widget, its one-time tokens (card.ts)
 *
 * Every /api/v4 and /api/v2 request passes gate.ts (latency → block 403 → auth 401 → rate limit 429 → faults).
 * Details the contract leaves open, settled the way amoCRM behaves (or most plausibly behaves):
 * - 429 has an empty body; a block answers nginx's HTML 403 page; gateway faults and the
 *   oversized-batch 504 are nginx HTML pages too — never assume an error body is JSON.
 * - GET of one missing entity (contact, note, user) is a 204, like amoCRM; unknown paths are 404.
 * - Pagination links are absolute on the origin of the request.
 * - Defaults amoCRM fills in (created_by = the integration's user, responsible = the card's),
 *   matching order (contacts before companies, oldest first) and the OAuth error texts are
 *   written down in routes/calls.ts, phone-match.ts and tokens.ts.
 * - The account lives in memory; given `options.state` it is kept across restarts (core/state.ts).
 * - Everything is deterministic: ids are counters, tokens and uids come from PRNGs seeded by the
 *   subdomain, faults from their own seed; the only time source is `now`. Timers (latencyMs,
 *   slow_after) use setTimeout and do not read the clock.
 * @module
 */
import { Hono, type MiddlewareHandler } from 'hono';
import type { SandboxContext } from './core/context';
import { FaultInjector } from './core/faults';
import { apiGate } from './core/gate';
import { AccountLimiter } from './core/limits';
import { type FaultOptions, resolveOptions, type SandboxOptions } from './core/options';
import { mulberry32, seedFrom } from './core/prng';
import { problem } from './core/responses';
import { accountRoutes } from './routes/account';
import { callRoutes } from './routes/calls';
import { cardRoutes } from './routes/card';
import { companyRoutes } from './routes/companies';
import { contactRoutes } from './routes/contacts';
import { controlRoutes } from './routes/controls';
import { eventRoutes } from './routes/events';
import { leadRoutes } from './routes/leads';
import { noteRoutes } from './routes/notes';
import { oauthRoutes } from './routes/oauth';
import { taskRoutes } from './routes/tasks';
import { unsortedRoutes } from './routes/unsorted';
import { applySeed } from './core/seed';
import { countRequests, type SandboxStats, StatsRecorder } from './core/stats';
import { SandboxStore } from './core/store';
import { captureState, countedRandom, restoreState, StateSaver } from './core/state';
import { timelineRoutes } from './routes/timeline';
import { TokenVault } from './core/tokens';

export type { FaultKind, FaultOptions, OAuthClient, SandboxOptions, SeedData } from './core/options';
export type { SandboxStats } from './core/stats';
export type { SandboxState, SandboxStateStore } from './core/state';
export { isSandboxState } from './core/state';
export type { EntityType, Note, TypedNote, Contact, Lead, Customer, Task, UnsortedItem, User } from './core/model';
export { SandboxStore } from './core/store';

export interface AmoSandbox {
  /** Serve it anywhere; all paths are relative to its root. */
  app: Hono;
  fetch: (req: Request) => Promise<Response>;
  store: SandboxStore;
  stats(): SandboxStats;
  setFaults(f: FaultOptions): void;
  unblock(): void;
  /** Saves a pending change now (with `options.state`; a stopping service calls it). */
  flush(): Promise<void>;
}

export function createAmoSandbox(options: SandboxOptions = {}): AmoSandbox {
  const opts = resolveOptions(options);
  const unix = () => Math.floor(opts.now().getTime() / 1000);
  const tokens = new TokenVault(opts.oauthClients, opts.longLivedTokens, opts.accessTokenTtlSeconds, mulberry32(seedFrom(`${opts.subdomain}/tokens`)));
  const uids = countedRandom(mulberry32(seedFrom(`${opts.subdomain}/uids`)));
  const store = new SandboxStore(unix, tokens, uids.random);
  const saved = options.state?.load() ?? null;
  if (saved) restoreState(store, uids, saved);
  else applySeed(store, opts.seed);
  const saver = options.state ? new StateSaver(options.state, () => captureState(store, uids), options.stateDebounceMs ?? 500) : undefined;

  const ctx: SandboxContext = {
    store,
    options: opts,
    stats: new StatsRecorder(),
    limiter: new AccountLimiter(opts.rps, opts.blockAfter429s, opts.blockWindowSeconds * 1000),
    faults: new FaultInjector(opts.faults),
    unix,
  };

  const app = new Hono();
  app.use('*', countRequests(ctx.stats));
  if (saver) app.use('*', savesChanges(saver));
  app.route('/', timelineRoutes(ctx));
  app.route('/', cardRoutes(ctx));
  app.route('/__sandbox', controlRoutes(ctx));
  app.route('/', oauthRoutes(ctx));
  app.use('/api/v4/*', apiGate(ctx));
  app.use('/api/v2/*', apiGate(ctx));
  app.route('/api/v2', eventRoutes(ctx));
  for (const routes of [callRoutes, noteRoutes, contactRoutes, companyRoutes, leadRoutes, unsortedRoutes, taskRoutes, accountRoutes]) {
    app.route('/api/v4', routes(ctx));
  }
  app.notFound((c) => problem(404, `No route for ${c.req.method} ${c.req.path}`));
  // A fake may say what broke: its callers are our own tests and demos.
  app.onError((err) => problem(500, err.message));

  return {
    app,
    fetch: async (req) => app.fetch(req),
    store,
    stats: () => ctx.stats.snapshot(ctx.limiter.blocked),
    setFaults: (f) => ctx.faults.set(f),
    unblock: () => ctx.limiter.unblock(),
    flush: async () => saver?.flush(),
  };
}

/** Any request but a read may change the account: it is saved (debounced) once answered. */
function savesChanges(saver: StateSaver): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (!['GET', 'HEAD', 'OPTIONS'].includes(c.req.method)) saver.changed();
  };
}
