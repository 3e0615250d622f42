/**
 * The commands' usage lines, apart from the commands themselves: `calltrail --help` (and a usage
 * error) answers without loading the service.
 * @module
 */
export const AMI_USAGE = "ami                         follow Asterisk's AMI (ASTERISK_AMI_URL) in the foreground: Cdr, CEL and call events into the ledger";

export const CHECK_USAGE = 'check <source> FILE... [--config FILE] [--json] [--all] [--show-numbers]';

export const CONFIG_USAGE = `config validate FILE        check an integrator config (JSON or YAML): every problem, with its path
  config schema [--out FILE]  print (or write) the config's JSON Schema, for editors`;

export const CONFIG_PREVIEW_USAGE = 'config preview FILE --sample CALL.json [--answers ANSWERS.json]';

export const IMPORT_USAGE = 'import asterisk-csv FILE [--columns LAYOUT|a,b,…] [--time-zone ZONE] [--dry-run] [--batch-size N]';

export const KEYS_USAGE = `keys generate [--kid KID]   print a new key line for SECRETS_KEYS (put it first)
  keys rotate [--batch N]     seal every stored secret again with the first key of SECRETS_KEYS`;

export const RECONCILE_USAGE = `reconcile [--date YYYY-MM-DD | --from ISO --to ISO] [--budget SECONDS]
                              compare a day (default: yesterday, configured time zone) with the
                              CRM, re-push what is missing, print the report; exit 1 if gaps remain`;

export const SANDBOX_SERVER_USAGE = `  sandbox-crm [--port 4010] [--host 127.0.0.1] [--token T] [--admin-token A] [--rps 7] [--seed demo|none]
              [--unknown partial|reject_batch] [--latency MS] [--fault-rate R --fault-seed N]
                              run the sandbox amoCRM as an HTTP server (tests, demos, benchmarks);
                              --admin-token guards its page and controls, and is required (with
                              a --token of your own) when --host reaches beyond this machine`;

/** A command line calltrail cannot run: one line (with a pointer to --help), exit 2. */
export class UsageError extends Error {}

/** Why a command that needs a CRM does nothing in sandbox mode: the sandbox lives inside `calltrail serve`. */
export function sandboxOnly(command: string, what: string): string {
  return `${command}: no CRM configured — the sandbox amoCRM lives inside the running service (calltrail serve), which ${what}; set AMOCRM_BASE_URL (or crm.adapter in the config) to ${command} from the command line`;
}
