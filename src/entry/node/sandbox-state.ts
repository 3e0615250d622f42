/**
 * The built-in sandbox amoCRM's account kept in DATA_DIR (`sandbox-amocrm.json`), so a restart of
 * the service keeps its timeline: read once at start, written after changes (debounced by the
 * sandbox, src/sandbox/core/state.ts) through a temporary file and a rename, so a crash mid-write
 * leaves the previous copy whole. A file that cannot be read as a saved account is moved aside
 * (`….unreadable-<time>`), said in the log, and the account starts from its seed.
 * @module
 */
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../lib/log';
import { isSandboxState, type SandboxState, type SandboxStateStore } from '../../sandbox';

export const SANDBOX_STATE_FILE = 'sandbox-amocrm.json';

export function fileSandboxState(dataDir: string, log: Logger): SandboxStateStore {
  const file = join(dataDir, SANDBOX_STATE_FILE);
  return {
    load: () => loadState(file, log),
    async save(state: SandboxState) {
      // Serialized before the first await: the records are live.
      const text = JSON.stringify(state);
      const temporary = `${file}.${process.pid}.tmp`;
      try {
        mkdirSync(dataDir, { recursive: true });
        await writeFile(temporary, text);
        await rename(temporary, file);
      } catch (error) {
        log.warn('could not save the sandbox CRM; its last saved state stays', { file, error });
      }
    },
  };
}

function loadState(file: string, log: Logger): SandboxState | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    // Nothing saved yet (DATA_DIR itself may not exist yet, or not be a directory: the write says so).
    if (['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) return null;
    throw error;
  }
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch {
    state = undefined;
  }
  if (isSandboxState(state)) return state;
  const aside = `${file}.unreadable-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  renameSync(file, aside);
  log.warn('the saved sandbox CRM could not be read; it starts from its demo account', { file, movedTo: aside });
  return null;
}
