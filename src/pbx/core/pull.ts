/**
 * Asking the PBX itself which calls it made: the PBX side of a reconciliation. A webhook that
 * never arrived leaves no trace in the ledger; a source that can be asked (Zadarma's statistics
 * API, Twilio's Calls list, FreePBX's CDR table, Mango's stats) gives those calls back. Each pull
 * yields bodies exactly as the source's webhook or poller would have stored them (same parser,
 * same callKey), so a call it brings is assembled, settled and delivered like any other.
 * @module
 */
import type { Db } from '../../db/client';
import type { IngestInput } from '../../ledger/inbox';
import type { Logger } from '../../lib/log';
import { InvalidPayloadError, parseContext, type ParseConfig, type ParseContext } from './parse';

export interface PullWindow {
  from: Date;
  to: Date;
}

/**
 * What a pull reads: the database, the log, the clock, the environment's secrets and the config.
 * A source types only its own part (`PullDeps<{ mango?: MangoCredentials }, { mango: MangoConfig }>`);
 * the app's deps satisfy every one.
 */
export interface PullDeps<Secrets = unknown, Sources = unknown> {
  db: Db;
  log: Logger;
  now?: () => Date;
  settings: { secrets: Secrets };
  config: ParseConfig<Sources>;
}

export interface PbxPull<Deps = PullDeps> {
  /** The parser name its bodies use (conversations.source). */
  source: string;
  /** Credentials or config present: the source can be asked. */
  enabled(deps: Deps): boolean;
  /**
   * The source's calls that started in the window, a page at a time; each input's events carry
   * the same callKey the webhook would have. Throws on failure (the run records it and goes on
   * without this source).
   */
  pull(window: PullWindow, deps: Deps): AsyncIterable<IngestInput[]>;
}

/** How a pull reads around its window and pages what it yields. */
export interface PullPaging {
  /** How far around the window the source is read, so calls crossing its edges are whole. */
  marginSeconds?: number;
  /** Inputs per yielded page (a call's inputs are never split). Default 500. */
  pageSize?: number;
}

/** The paging options with their defaults: the margin in milliseconds and the page size. */
export function pullPaging(options: PullPaging, defaultMarginSeconds: number): { marginMs: number; pageSize: number } {
  return { marginMs: (options.marginSeconds ?? defaultMarginSeconds) * 1000, pageSize: options.pageSize ?? 500 };
}

/** The calls' inputs, at least `pageSize` a page. */
export interface PagesOfCalls<Call> {
  calls: Iterable<Call>;
  pageSize: number;
  /** A call's inputs; null leaves it out (it belongs to another window). Throws InvalidPayloadError when it cannot be read. */
  inputsOf(call: Call): IngestInput[] | null;
  /** A call that cannot be read: reported, skipped. */
  skipped(call: Call, problems: string[]): void;
}

/** Pages of inputs, a call's inputs never split across two pages. */
export function* pagesOfCalls<Call>({ calls, pageSize, inputsOf, skipped }: PagesOfCalls<Call>): Generator<IngestInput[]> {
  let page: IngestInput[] = [];
  for (const call of calls) {
    try {
      page.push(...(inputsOf(call) ?? []));
    } catch (error) {
      if (!(error instanceof InvalidPayloadError)) throw error;
      skipped(call, error.problems);
      continue;
    }
    if (page.length >= pageSize) {
      yield page;
      page = [];
    }
  }
  if (page.length) yield page;
}

/** The secrets of a source whose environment secret is named after it. */
export type SecretOf<Name extends string, Secret> = { [K in Name]?: Secret };

/** What a pull run works with, once its source's credentials are there. */
export interface PullRun<Name extends string, Secret, Sources> {
  credentials: Secret;
  ctx: ParseContext<Sources>;
  /** Tagged with the source and what the pull reads. */
  log: Logger;
  deps: PullDeps<SecretOf<Name, Secret>, Sources>;
}

/** A pull enabled by its source's API credentials. */
export interface CredentialedPull<Name extends string, Secret, Sources> {
  source: Name;
  /** What it reads, for log lines ("statistics", "calls-list"). */
  reads: string;
  /** Said when the credentials are missing: "the Mango pull needs MANGO_API_KEY and MANGO_API_SALT". */
  missing: string;
  pull(window: PullWindow, run: PullRun<Name, Secret, Sources>): AsyncIterable<IngestInput[]>;
}

export function credentialedPull<const Name extends string, Secret, Sources>(
  spec: CredentialedPull<Name, Secret, Sources>,
): PbxPull<PullDeps<SecretOf<Name, Secret>, Sources>> {
  return {
    source: spec.source,
    enabled: (deps) => Boolean(deps.settings.secrets[spec.source]),
    async *pull(window, deps) {
      const credentials = deps.settings.secrets[spec.source];
      if (!credentials) throw new Error(spec.missing);
      const log = deps.log.child({ source: spec.source, pull: spec.reads });
      yield* spec.pull(window, { credentials, ctx: parseContext(deps.config), log, deps });
    },
  };
}
