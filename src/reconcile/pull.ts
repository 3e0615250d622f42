/**
 * Asking the PBX itself which calls it made: the other half of the PBX side of a reconciliation.
 * A webhook that never arrived leaves no trace in the ledger; a source that can be asked (Zadarma's
 * statistics API, Twilio's Calls list, FreePBX's CDR table, Mango's stats) gives those calls back.
 * Each pull yields bodies exactly as the source's webhook or poller would have stored them (same
 * parser, same callKey), so a call it brings is assembled, settled and delivered like any other.
 * @module
 */
import type { AppDeps } from '../deps';
import type { IngestInput } from '../ledger/inbox';

export interface PullWindow {
  from: Date;
  to: Date;
}

export interface PbxPull {
  /** The parser name its bodies use (conversations.source). */
  source: string;
  /** Credentials or config present: the source can be asked. */
  enabled(deps: AppDeps): boolean;
  /**
   * The source's calls that started in the window, a page at a time; each input's events carry
   * the same callKey the webhook would have. Throws on failure (the run records it and goes on
   * without this source).
   */
  pull(window: PullWindow, deps: AppDeps): AsyncIterable<IngestInput[]>;
}
