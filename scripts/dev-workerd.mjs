#!/usr/bin/env node
// `npm run dev:workerd`: calltrail under workerd on this machine, in one command.
//  1. The local database: the one wrangler.toml's Hyperdrive `localConnectionString` names, or
//     CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE when set — created when the server
//     does not have it yet, then migrated (`calltrail migrate`, the Node command, on that URL).
//  2. `wrangler dev` on --port (or PORT; default 8787), with PUBLIC_URL set to the address it
//     serves, so the recording links put into CRM notes open locally (PUBLIC_URL in the
//     environment or in .dev.vars is kept instead).
//     Without SECRETS_KEYS (environment or .dev.vars) a local key is made once and kept in
//     .wrangler/state/calltrail/secrets.key, as the Node service keeps one in DATA_DIR: the
//     generated recording-link key is stored sealed with it, so without one no note gets a link.
//  3. Its output, with wrangler's own line per request left out: the Worker logs each request
//     itself (a JSON line with its requestId and error code), and wrangler's proxy in front of it
//     logs the same request again — there is no switch for that in wrangler 4 — so without this
//     every request was printed twice.
// Ctrl-C or SIGTERM stops wrangler and its workerd processes with it. Other arguments go to
// `wrangler dev` as they are (e.g. --ip 0.0.0.0). Needs Node >= 22.12 (package.json runs it
// through scripts/node22.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OVERRIDE = 'CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE';
const DEFAULT_PORT = 8787;

const say = (line) => console.log(`dev:workerd: ${line}`);

/** The connection string wrangler dev will give the Worker's Hyperdrive binding. */
function localConnectionString() {
  if (process.env[OVERRIDE]) return { url: process.env[OVERRIDE], from: OVERRIDE };
  const toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  const found = toml.match(/^\s*localConnectionString\s*=\s*"([^"]+)"/m);
  if (!found) throw new Error(`wrangler.toml has no [[hyperdrive]] localConnectionString, and ${OVERRIDE} is not set`);
  return { url: found[1], from: 'wrangler.toml' };
}

/** `postgres://user:***@host:port/db`, for messages. */
const shown = (url) => url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');

function explain(error, url) {
  const at = shown(url);
  if (error.code === 'ECONNREFUSED' || error.code === 'ENOTFOUND' || error.code === 'CONNECT_TIMEOUT') {
    return new Error(`PostgreSQL does not answer at ${at} (${error.code}): start it, or set ${OVERRIDE} to a server that runs`);
  }
  return new Error(`PostgreSQL at ${at}: ${error.message}`);
}

const connect = (url) => postgres(url, { max: 1, connect_timeout: 10, onnotice: () => {} });

/** Creates the database the URL names unless it exists; says which. */
async function ensureDatabase(url) {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name) throw new Error(`the connection string ${shown(url)} names no database`);
  const probe = connect(url);
  try {
    await probe`select 1`;
    return `database "${name}" exists`;
  } catch (error) {
    // 3D000: no such database, which is what this step is for.
    if (error.code !== '3D000') throw explain(error, url);
  } finally {
    await probe.end({ timeout: 1 });
  }
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const sql = connect(maintenance.toString());
  try {
    await sql.unsafe(`create database "${name.replaceAll('"', '""')}"`);
  } catch (error) {
    // 42P04: created meanwhile by someone else; fine.
    if (error.code !== '42P04') throw explain(error, maintenance.toString());
  } finally {
    await sql.end({ timeout: 1 });
  }
  return `database "${name}" created`;
}

/** `calltrail migrate` on the URL: the migrations the Node service applies, under its lock. */
function migrate(url) {
  const cli = join(ROOT, 'bin', 'calltrail.mjs');
  const run = spawnSync(process.execPath, [cli, 'migrate'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, DATABASE_URL: url } });
  if (run.status !== 0) throw new Error(`calltrail migrate failed on ${shown(url)} (exit ${run.status ?? run.signal})`);
}

/** --port N / --port=N / PORT, and --ip, read (and passed on) so PUBLIC_URL can be built. */
export function devArgs(argv) {
  const rest = [];
  let port = process.env.PORT ? Number(process.env.PORT) : DEFAULT_PORT;
  let ip;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => inline ?? argv[++i];
    if (flag === '--port') port = Number(value());
    else if (flag === '--ip') ip = value();
    else rest.push(argv[i]);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error('--port (or PORT) must be a TCP port, 1 to 65535');
  return { port, ip, rest };
}

/** Whether .dev.vars (wrangler dev's local secrets) sets the variable. */
function inDevVars(name) {
  const devVars = join(ROOT, '.dev.vars');
  return existsSync(devVars) && new RegExp(`^\\s*${name}\\s*=`, 'm').test(readFileSync(devVars, 'utf8'));
}

/** PUBLIC_URL from the environment or .dev.vars, else the address wrangler dev serves. */
export function publicUrl(port, ip) {
  if (process.env.PUBLIC_URL) return { url: process.env.PUBLIC_URL, own: true };
  if (inDevVars('PUBLIC_URL')) return { url: null, own: true };
  const host = !ip || ip === '0.0.0.0' || ip === '::' || ip === '*' ? 'localhost' : ip.includes(':') ? `[${ip}]` : ip;
  return { url: `http://${host}:${port}`, own: false };
}

/** SECRETS_KEYS for a local run that sets none: a key made once (`calltrail keys generate`), kept beside wrangler's state. */
function localSecretsKeys() {
  if (process.env.SECRETS_KEYS || inDevVars('SECRETS_KEYS')) return null;
  const path = join(ROOT, '.wrangler', 'state', 'calltrail', 'secrets.key');
  if (!existsSync(path)) {
    const made = spawnSync(process.execPath, [join(ROOT, 'bin', 'calltrail.mjs'), 'keys', 'generate', '--kid', 'local'], { cwd: ROOT, encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`calltrail keys generate failed: ${made.stderr.trim()}`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, made.stdout.trim().split('\n').pop(), { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  return { line: readFileSync(path, 'utf8').trim(), path };
}

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
/** wrangler's proxy's line for a request the Worker logs itself: `[wrangler:info] GET /health 200 OK (12ms)`. */
const REQUEST_LINE = /^\[wrangler:info\] [A-Z]+ \S+ \d{3}\b/;

export function isProxyRequestLine(line) {
  return REQUEST_LINE.test(line.replace(ANSI, '').trim());
}

/** Starts wrangler dev; its signals and exit become this process's. */
function runWrangler(args, env) {
  const wrangler = join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
  const child = spawn(process.execPath, [wrangler, 'dev', ...args], { cwd: ROOT, env, stdio: ['inherit', 'pipe', 'inherit'] });
  createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
    if (!isProxyRequestLine(line)) process.stdout.write(`${line}\n`);
  });
  // wrangler's launcher passes SIGINT and SIGTERM to wrangler, which stops workerd; SIGHUP it does not take.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal === 'SIGHUP' ? 'SIGTERM' : signal));
  // Started by something that is gone (a killed npm): stop rather than serve on as an orphan.
  const parent = process.ppid;
  const orphanWatch = setInterval(() => {
    if (process.ppid !== parent) child.kill('SIGTERM');
  }, 500);
  orphanWatch.unref();
  child.on('exit', (code, signal) => {
    clearInterval(orphanWatch);
    if (!signal) process.exit(code ?? 0);
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  });
}

async function main() {
  const { port, ip, rest } = devArgs(process.argv.slice(2));
  const { url, from } = localConnectionString();
  if (!new URL(url).password) {
    const example = new URL(url);
    example.password = 'calltrail';
    throw new Error(`wrangler wants a password in the local connection string (${from}: ${url}); any will do with trust auth, e.g. ${example}`);
  }
  say(`${await ensureDatabase(url)} (${shown(url)}, from ${from}); migrating`);
  migrate(url);
  const link = publicUrl(port, ip);
  const keys = localSecretsKeys();
  const vars = [...(link.own ? [] : ['--var', `PUBLIC_URL:${link.url}`]), ...(keys ? ['--var', `SECRETS_KEYS:${keys.line}`] : [])];
  if (keys) say(`SECRETS_KEYS: the local key in ${keys.path.slice(ROOT.length)}`);
  say(`starting wrangler dev on port ${port}; PUBLIC_URL ${link.url ?? 'from .dev.vars'}${link.own && link.url ? ' (from the environment)' : ''}`);
  const env = { ...process.env, [OVERRIDE]: url, ...(process.stdout.isTTY && !process.env.NO_COLOR ? { FORCE_COLOR: '1' } : {}) };
  runWrangler(['--port', String(port), ...(ip ? ['--ip', ip] : []), ...vars, ...rest], env);
}

// Run, not imported (by its unit test): compared as real paths, so a symlinked checkout runs too.
if (process.argv[1] && realpathSync(fileURLToPath(import.meta.url)) === realpathSync(process.argv[1])) {
  main().catch((error) => {
    console.error(`dev:workerd: ${error.message}`);
    process.exit(1);
  });
}
