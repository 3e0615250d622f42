/**
 * The accounts an instance serves, and their running parts. Each added account runs as its own
 * app over its own data (the runtime's `AccountHost` opens it: a PostgreSQL schema or an
 * embedded database of its own, migrated, with its delivery loop, tick and schedule); the
 * directory starts them, hands requests for /a/<slug>/ to them, and restarts one when its
 * settings change. Changes to one account are made one at a time.
 * @module
 */
import { ConfigError } from '../config/errors';
import type { Db } from '../db/client';
import { ACCOUNT_SLUG, type AccountStatus } from '../domain/account';
import type { CrmKind } from '../domain/crm-account';
import type { Logger } from '../lib/log';
import type { Settings } from '../settings/env';
import type { IntegratorConfig } from '../settings/integrator';
import { accountConfig, accountSettings, variableProblems } from './settings';
import {
  type AccountChange,
  AccountStoreError,
  deleteAccountRow,
  findAccount,
  insertAccount,
  listAccountRows,
  openAccount,
  type StoredAccount,
  updateAccount,
} from './store';

/** One account's app and work, as the runtime started them. */
export interface AccountRuntime {
  db: Db;
  fetch(request: Request): Promise<Response>;
  stop(): Promise<void>;
}

/** What the runtime does for the directory (Node: entry/node/accounts.ts). */
export interface AccountHost {
  /** Opens (creating and migrating) the account's data and starts its app and work. */
  open(slug: string, settings: Settings, config: IntegratorConfig): Promise<AccountRuntime>;
  /** Removes the account's data for good. */
  destroy(slug: string): Promise<void>;
}

export interface AccountSummary {
  slug: string;
  name: string;
  status: AccountStatus;
  crm: { kind: CrmKind; account: string } | null;
  /** The names of its variables; the values are never shown. */
  variables: string[];
  config: Record<string, unknown> | null;
  /** Running: requests are served; else why not. */
  running: boolean;
  problem: string | null;
  publicUrl: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface AccountInput {
  slug: string;
  name: string;
  config?: Record<string, unknown> | null;
  variables?: Record<string, string>;
}

/** A refusal the API answers with a 4xx. */
export class AccountError extends Error {
  constructor(
    readonly code: 'invalid' | 'taken' | 'not_found' | 'no_keys',
    message: string,
    readonly problems: string[] = [],
  ) {
    super(message);
  }
}

interface Entry {
  runtime: Promise<AccountRuntime> | null;
  problem: string | null;
}

export interface AccountDirectory {
  list(): Promise<AccountSummary[]>;
  get(slug: string): Promise<AccountSummary | null>;
  create(input: AccountInput): Promise<{ summary: AccountSummary; runtime: AccountRuntime | null }>;
  update(slug: string, change: AccountChange): Promise<AccountSummary>;
  remove(slug: string): Promise<void>;
  /** Its variables, opened (for a change that merges into them). */
  variables(slug: string): Promise<Record<string, string>>;
  /** The running account, or a reason it cannot serve (unknown, disabled, failed to start). */
  runtime(slug: string): Promise<AccountRuntime | { refused: 'not_found' | 'disabled' | 'failed'; message: string }>;
  startAll(): Promise<void>;
  stopAll(): Promise<void>;
}

export function createAccountDirectory(deps: DirectoryDeps): AccountDirectory {
  return new Directory(deps);
}

interface DirectoryDeps {
  db: Db;
  settings: Settings;
  log: Logger;
  host: AccountHost;
}

class Directory implements AccountDirectory {
  readonly #entries = new Map<string, Entry>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: DirectoryDeps) {}

  async list(): Promise<AccountSummary[]> {
    const rows = await listAccountRows(this.deps.db);
    return Promise.all(rows.map(async (row) => this.#summary(await openAccount(this.deps.db, row))));
  }

  async get(slug: string): Promise<AccountSummary | null> {
    const account = await findAccount(this.deps.db, slug);
    return account ? this.#summary(account) : null;
  }

  create(input: AccountInput): Promise<{ summary: AccountSummary; runtime: AccountRuntime | null }> {
    return this.#serial(async () => {
      this.#check(input, input.slug);
      const account = await stored(() =>
        insertAccount(this.deps.db, { slug: input.slug, name: input.name.trim(), config: input.config ?? null, variables: input.variables ?? {} }),
      );
      // A config that validates but cannot make settings (a generic CRM missing its secret) still
      // stores: the account is listed with its problem until its variables are set.
      const runtime = await this.#start(account).runtime?.catch(() => null);
      this.deps.log.info('account added', { account: account.slug });
      return { summary: this.#summary(account), runtime: runtime ?? null };
    });
  }

  update(slug: string, change: AccountChange): Promise<AccountSummary> {
    return this.#serial(async () => {
      this.#check(change, slug);
      const account = await stored(() => updateAccount(this.deps.db, slug, { ...change, ...(change.name ? { name: change.name.trim() } : {}) }));
      await this.#stop(slug);
      await this.#start(account).runtime?.catch(() => null);
      this.deps.log.info('account changed', { account: slug, fields: Object.keys(change) });
      return this.#summary(account);
    });
  }

  remove(slug: string): Promise<void> {
    return this.#serial(async () => {
      if (!(await findAccount(this.deps.db, slug))) throw new AccountError('not_found', `no account ${slug}`);
      await this.#stop(slug);
      await this.deps.host.destroy(slug);
      await deleteAccountRow(this.deps.db, slug);
      this.deps.log.info('account removed', { account: slug });
    });
  }

  async variables(slug: string): Promise<Record<string, string>> {
    const account = await findAccount(this.deps.db, slug);
    if (!account) throw new AccountError('not_found', `no account ${slug}`);
    return account.variables;
  }

  async runtime(slug: string): Promise<AccountRuntime | { refused: 'not_found' | 'disabled' | 'failed'; message: string }> {
    let entry = this.#entries.get(slug);
    if (!entry) {
      // Added by another process sharing the database: start it here too.
      const account = ACCOUNT_SLUG.test(slug) ? await findAccount(this.deps.db, slug) : null;
      if (!account) return { refused: 'not_found', message: `no account ${slug}` };
      entry = this.#entries.get(slug) ?? this.#start(account);
    }
    if (!entry.runtime) {
      return entry.problem ? { refused: 'failed', message: entry.problem } : { refused: 'disabled', message: `the account ${slug} is disabled` };
    }
    try {
      return await entry.runtime;
    } catch {
      return { refused: 'failed', message: entry.problem ?? `the account ${slug} could not start` };
    }
  }

  async startAll(): Promise<void> {
    for (const row of await listAccountRows(this.deps.db)) {
      // A request may have started it already (the service listens before this runs).
      if (this.#entries.has(row.slug)) continue;
      try {
        this.#start(await openAccount(this.deps.db, row));
      } catch (error) {
        this.#entries.set(row.slug, { runtime: null, problem: `cannot open its variables: ${(error as Error).message}` });
      }
    }
    await Promise.allSettled([...this.#entries.values()].map((e) => e.runtime));
  }

  async stopAll(): Promise<void> {
    await Promise.allSettled([...this.#entries.keys()].map((slug) => this.#stop(slug)));
  }

  /** Changes run one after another: a restart never races a removal. */
  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => {});
    return next;
  }

  #built(account: StoredAccount): { settings: Settings; config: IntegratorConfig } {
    const config = accountConfig(account.config, account.slug);
    return { settings: accountSettings(this.deps.settings, { slug: account.slug, variables: account.variables, config }), config };
  }

  #summary(account: StoredAccount): AccountSummary {
    const entry = this.#entries.get(account.slug);
    let crm: AccountSummary['crm'] = null;
    let problem = entry?.problem ?? null;
    try {
      const { settings } = this.#built(account);
      crm = { kind: settings.crm.kind, account: settings.crm.accountId };
    } catch (error) {
      problem = error instanceof ConfigError ? error.message : String(error);
    }
    return {
      slug: account.slug,
      name: account.name,
      status: account.status,
      crm,
      variables: Object.keys(account.variables).sort(),
      config: account.config,
      running: !!entry?.runtime && !entry.problem,
      problem: account.status === 'disabled' ? null : problem,
      publicUrl: `${this.deps.settings.publicUrl.replace(/\/+$/, '')}/a/${account.slug}`,
      createdAt: account.createdAt,
      updatedAt: account.updatedAt,
    };
  }

  #start(account: StoredAccount): Entry {
    const entry: Entry = { runtime: null, problem: null };
    this.#entries.set(account.slug, entry);
    if (account.status !== 'active') return entry;
    try {
      const { settings, config } = this.#built(account);
      entry.runtime = this.deps.host.open(account.slug, settings, config);
      entry.runtime.catch((error: unknown) => {
        entry.problem = `could not start: ${(error as Error).message}`;
        this.deps.log.error('account could not start', { account: account.slug, error });
      });
    } catch (error) {
      entry.problem = error instanceof ConfigError ? error.message : String(error);
    }
    return entry;
  }

  async #stop(slug: string): Promise<void> {
    const entry = this.#entries.get(slug);
    this.#entries.delete(slug);
    const runtime = await entry?.runtime?.catch(() => null);
    await runtime?.stop();
  }

  #check(input: { slug?: string; name?: string; config?: Record<string, unknown> | null; variables?: Record<string, string> }, slug: string): void {
    const problems: string[] = [];
    if (input.slug !== undefined && !ACCOUNT_SLUG.test(input.slug)) {
      problems.push('slug: 3 to 32 characters: a lower-case letter, then lower-case letters, digits or dashes (not last)');
    }
    if (input.name !== undefined && !input.name.trim()) problems.push('name: must not be empty');
    if (input.variables) problems.push(...variableProblems(input.variables).map((p) => `variables.${p}`));
    if (input.config !== undefined) {
      try {
        accountConfig(input.config, slug);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        problems.push(...error.problems.map((p) => `config.${p}`));
      }
    }
    if (problems.length) throw new AccountError('invalid', `account ${slug}: ${problems.join('; ')}`, problems);
  }
}

/** A store refusal as the directory's. */
async function stored<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AccountStoreError) throw new AccountError(error.code, error.message);
    throw error;
  }
}
