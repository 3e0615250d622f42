/**
 * Node entry, `calltrail serve` (what `npm start` runs). Parses env and config, opens (and migrates) the
 * database, serves HTTP, stops gracefully on SIGTERM/SIGINT.
 * @module
 */
import { ConfigError } from '../../config/errors';
import { createLogger } from '../../lib/log';
import { bindSealKeys } from '../../lib/seal';
import { openDatabase } from './database';
import { parseArgs } from 'node:util';
import { SERVICE_ROLES, type ServiceRole, startService } from './server';
import { loadSettings } from './settings';

/** `--role web|worker|all` (default all); throws a one-line message for anything else. */
export function parseServeArgs(args: string[]): { role: ServiceRole } {
  let values: { role?: string | undefined };
  try {
    ({ values } = parseArgs({ args, options: { role: { type: 'string' } } }));
  } catch (error) {
    throw new ServeUsageError((error as Error).message);
  }
  const role = values.role ?? 'all';
  if (!(SERVICE_ROLES as readonly string[]).includes(role)) throw new ServeUsageError(`--role is one of ${SERVICE_ROLES.join(', ')}, got "${role}"`);
  return { role: role as ServiceRole };
}

export class ServeUsageError extends Error {}

export async function serveCommand(args: string[] = []): Promise<void> {
  let role: ServiceRole;
  try {
    ({ role } = parseServeArgs(args));
  } catch (error) {
    if (!(error instanceof ServeUsageError)) throw error;
    console.error(`calltrail serve: ${error.message}`);
    process.exit(2);
  }
  let loaded;
  try {
    loaded = loadSettings();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`calltrail cannot start: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const { settings, config } = loaded;
  const log = createLogger({ level: settings.logLevel, base: { service: 'calltrail' } });
  const database = await openDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir, poolSize: settings.databasePoolSize });
  bindSealKeys(database.db, settings.secretsKeys);
  if (!settings.secretsKeys.length) {
    log.warn('SECRETS_KEYS is not set: OAuth tokens and a generated recording-link key will not be stored (`calltrail keys generate`)');
  }
  const service = await startService({ settings, config, database, log, role });
  log.info('calltrail listening', {
    port: service.port,
    role,
    database: database.kind === 'pglite' ? `embedded PGlite in ${settings.dataDir}` : 'PostgreSQL',
    crm: settings.crm.kind === 'sandbox' ? 'sandbox (no CRM configured)' : settings.crm.accountId,
    generic_webhook: settings.secrets.generic ? 'signed' : settings.sandboxMode ? 'unsigned accepted (sandbox mode)' : 'disabled',
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    await service.stop();
    await database.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
