/**
 * `calltrail <command>`: serve | migrate | tick | deliver | reconcile | config validate|schema|preview |
 * inbox list | inbox reprocess | sign | import | check | ami | keys | sandbox-crm. Light on purpose:
 * a command's code is imported when that command runs, so `--help` and a usage error answer at
 * once; every refusal is one line and a non-zero exit.
 * @module
 */
import { ConfigError } from '../../config/errors';
import { UsageError } from './usage';
import { AMI_USAGE, CHECK_USAGE, CONFIG_PREVIEW_USAGE, CONFIG_USAGE, IMPORT_USAGE, KEYS_USAGE, RECONCILE_USAGE, SANDBOX_SERVER_USAGE } from './usage';

export const USAGE = `usage: calltrail <command>

  serve [--role all|web|worker]  run the service (default); web: HTTP and webhooks only, worker:
                              settling, delivery, recordings, reconciliation (answers /health and /metrics only)
  migrate                     apply pending database migrations and exit
  tick                        settle due conversations and retry failed inbox events once
  deliver [--budget SECONDS]  deliver due calls to the CRM now, print what happened
  ${RECONCILE_USAGE}
  ${CONFIG_USAGE}
  ${CONFIG_PREVIEW_USAGE}
                              the exact CRM requests a sample call would produce (no network, no database)
  inbox list [--status failed|processed] [--limit N]
  inbox reprocess (--all-failed | ID...)
                              apply stored webhook bodies again (after a fix)
  sign --secret S [FILE]      print an X-Calltrail-Signature header for a body (FILE or stdin)
  ${IMPORT_USAGE}
                              backfill an Asterisk Master.csv (or cdr_custom) file into the ledger
  ${CHECK_USAGE}
                              how calltrail reads a PBX export (Master.csv, a FreePBX cdr dump, webhook
                              bodies), writing nothing: before going live
  ${AMI_USAGE}
  ${KEYS_USAGE}
${SANDBOX_SERVER_USAGE}

Configuration comes from the environment (see README), as for the service.`;

/** The commands commands.ts runs (checked before it is loaded: a typo answers at once). */
const COMMANDS = new Set(['migrate', 'tick', 'deliver', 'reconcile', 'config', 'inbox', 'sign', 'import', 'check', 'ami', 'keys']);

export async function runCli(argv: string[]): Promise<number> {
  const [command = 'serve', ...rest] = argv;
  switch (command) {
    case 'serve': {
      const { serveCommand } = await import('./main');
      await serveCommand(rest);
      return -1; // keeps running
    }
    case 'sandbox-crm': {
      const { sandboxServerCommand } = await import('./sandbox-server');
      await sandboxServerCommand(rest);
      return -1; // keeps running
    }
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default: {
      if (!COMMANDS.has(command)) throw new UsageError(`unknown command "${command}"`);
      const { runCommand } = await import('./commands');
      const code = await runCommand(command, rest);
      if (code === null) throw new UsageError(`unknown command "${command}"`);
      return code;
    }
  }
}

export async function cliMain(argv: string[]): Promise<void> {
  try {
    const code = await runCli(argv);
    if (code >= 0) process.exit(code);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`calltrail: ${(error as Error).message} (see calltrail --help)`);
      process.exit(2);
    }
    if (error instanceof ConfigError) {
      console.error(`calltrail: ${error.message}`);
      process.exit(1);
    }
    console.error(`calltrail: ${(error as Error).message}`);
    process.exit(1);
  }
}
