/**
 * The terminal the README walk-through types into (test/readme/walkthrough.test.ts): bash in a
 * scratch directory, whose variables and working directory carry from one block to the next as in
 * a reader's terminal, and the long-running commands (`npm start`, `npm run dev:workerd`) started
 * in the background like a second terminal. Every command runs in its own process group; a group
 * left running (a `… &` in a block, a service) is stopped at the end, and none may survive.
 *
 * `npm install` is not run (this checkout is installed: node_modules is checked) and `npm test` is
 * not run (the walk-through runs inside it); both say so in their output.
 * @module
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Processes the commands left running in the background (`… &`), as `pid command`. */
  left: string[];
}

export interface RunningService {
  what: string;
  port: number;
  pid: number;
  log: string;
  readyMs: number;
  child: ChildProcess;
}

/** bash functions every command sees: npm install and npm test are not run here (see the module comment). */
const NPM_STAND_IN = `npm() {
  case "$*" in
    install|ci|i)
      [ -d node_modules/.bin ] || { echo "[walk-through] npm $*: node_modules is missing" >&2; return 1; }
      echo "[walk-through] npm $*: not run; this checkout's node_modules is installed (checked)"; return 0;;
    test|t)
      grep -q '"test":' package.json || { echo "[walk-through] npm test: no test script" >&2; return 1; }
      echo "[walk-through] npm test: not run here (this walk-through runs inside npm test)"; return 0;;
  esac
  command npm "$@"
}`;

/** Saves the variables the commands set and the directory they are in, for the next block. */
const SAVE_STATE = `__ct_save() {
  pwd > "$__CT_STATE/cwd"
  for __ct_v in $(compgen -v); do
    case "$__ct_base" in *" $__ct_v "*) continue;; esac
    case "$__ct_v" in __ct_*|__CT_*|OLDPWD|PWD|_|BASH*|FUNCNAME|PIPESTATUS|COLUMNS|LINES) continue;; esac
    declare -p "$__ct_v"
  done > "$__CT_STATE/vars.sh"
}`;

export class WalkthroughShell {
  private readonly state: string;
  private scripts = 0;
  private readonly groups = new Set<number>();
  readonly services = new Map<number, RunningService>();

  constructor(
    readonly dir: string,
    private readonly env: Record<string, string>,
  ) {
    this.state = join(dir, '.walkthrough');
    mkdirSync(this.state, { recursive: true });
    writeFileSync(join(this.state, 'cwd'), dir);
    writeFileSync(join(this.state, 'vars.sh'), '');
  }

  /** A script that runs `body` in the reader's terminal: their directory and variables, `set -e`. */
  private script(body: string, save: boolean): string {
    const file = join(this.state, `step-${++this.scripts}.sh`);
    const prelude = [
      `__ct_base=" $(compgen -v | tr '\\n' ' ') "`,
      NPM_STAND_IN,
      SAVE_STATE,
      'cd "$(cat "$__CT_STATE/cwd")"',
      '. "$__CT_STATE/vars.sh"',
      'set -e',
    ];
    writeFileSync(file, `${prelude.join('\n')}\n${body}\n${save ? 'set +e\n__ct_save\n' : ''}`);
    return file;
  }

  private spawnGroup(file: string, out: number, err: number, extraEnv: Record<string, string> = {}): ChildProcess {
    const child = spawn('bash', [file], {
      cwd: this.dir,
      env: { ...this.env, ...extraEnv, __CT_STATE: this.state },
      detached: true,
      stdio: ['ignore', out, err],
    });
    if (child.pid) this.groups.add(child.pid);
    return child;
  }

  /** Runs commands to their end (at most `timeoutMs`; then their group is killed). */
  async run(body: string, timeoutMs: number): Promise<RunResult> {
    const file = this.script(body, true);
    const outFile = `${file}.out`;
    const errFile = `${file}.err`;
    const out = openSync(outFile, 'w');
    const err = openSync(errFile, 'w');
    const started = Date.now();
    const child = this.spawnGroup(file, out, err);
    closeSync(out);
    closeSync(err);
    const code = await exitOf(child, timeoutMs);
    if (code === 'timeout') kill(child.pid, 'SIGKILL');
    const ms = Date.now() - started;
    const left = child.pid ? groupMembers(child.pid) : [];
    if (left.length === 0 && child.pid) this.groups.delete(child.pid);
    return { code: code === 'timeout' ? null : code, stdout: readFileSync(outFile, 'utf8'), stderr: readFileSync(errFile, 'utf8'), ms, left };
  }

  /** Starts a long-running command in the background and waits for http://127.0.0.1:port/health. */
  async start(what: string, command: string, port: number, timeoutMs: number, extraEnv: Record<string, string> = {}): Promise<RunningService> {
    const file = this.script(command, false);
    const log = `${file}.log`;
    const fd = openSync(log, 'w');
    const started = Date.now();
    const child = this.spawnGroup(file, fd, fd, extraEnv);
    closeSync(fd);
    const exited = exitOf(child, timeoutMs);
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before it answered /health on port ${port}:\n${tail(log)}`);
      if (await healthy(port)) break;
      if (Date.now() - started > timeoutMs) {
        kill(child.pid, 'SIGKILL');
        throw new Error(`${what} did not answer /health on port ${port} within ${timeoutMs} ms:\n${tail(log)}`);
      }
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 250))]);
    }
    const service = { what, port, pid: child.pid ?? 0, log, readyMs: Date.now() - started, child };
    this.services.set(port, service);
    return service;
  }

  /** Stops a service as Ctrl-C would (SIGINT to its group); SIGKILL after `timeoutMs`. Returns how it ended. */
  async stop(service: RunningService, timeoutMs = 20_000): Promise<string> {
    this.services.delete(service.port);
    kill(service.pid, 'SIGINT');
    const deadline = Date.now() + timeoutMs;
    while (groupMembers(service.pid).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const stubborn = groupMembers(service.pid);
    if (stubborn.length) kill(service.pid, 'SIGKILL');
    this.groups.delete(service.pid);
    const code = service.child.exitCode ?? service.child.signalCode;
    return stubborn.length ? `killed after ${timeoutMs} ms (${stubborn.join('; ')})` : `stopped by SIGINT (exit ${code})`;
  }

  /** Stops every service and every group left running; returns the processes that were still there. */
  async stopAll(): Promise<string[]> {
    for (const service of [...this.services.values()]) await this.stop(service);
    const left: string[] = [];
    for (const pgid of this.groups) {
      left.push(...groupMembers(pgid));
      kill(pgid, 'SIGTERM');
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const pgid of this.groups) if (groupMembers(pgid).length) kill(pgid, 'SIGKILL');
    this.groups.clear();
    return left;
  }

  /** Processes still alive in any group this shell started (after stopAll: none). */
  survivors(pgids: readonly number[]): string[] {
    return pgids.flatMap(groupMembers);
  }

  /** Every process group started so far (for the orphan check). */
  startedGroups(): number[] {
    return [...this.groups];
  }
}

function exitOf(child: ChildProcess, timeoutMs: number): Promise<number | 'timeout'> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => resolve('timeout'), timeoutMs);
    timer.unref();
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

async function healthy(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

function kill(pgid: number | undefined, signal: NodeJS.Signals): void {
  if (!pgid) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    /* the group is gone */
  }
}

/**
 * The live processes of a group, as `pid command` (pgrep lists them by group id). A zombie — dead,
 * waiting for init to collect its exit status — runs nothing and is not counted.
 */
export function groupMembers(pgid: number): string[] {
  try {
    const listed = execFileSync('pgrep', ['-a', '-g', String(pgid)], { encoding: 'utf8' })
      .trim()
      .split('\n');
    return listed.filter((line) => line !== '' && !line.endsWith('<defunct>'));
  } catch {
    return [];
  }
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}
