/**
 * Where the CPU went during a window, from /proc, on a machine others may be using: the service
 * processes, the PostgreSQL backends serving the bench's own database (found in pg_stat_activity,
 * so other users' queries on the same server are not counted as the bench's), this process (the
 * sandboxes and the load generator), and the rest — PostgreSQL's shared processes (WAL writer,
 * checkpointer), other programs, the kernel.
 * @module
 */
import { readFileSync } from 'node:fs';
import type postgres from 'postgres';

// USER_HZ: the unit of /proc/<pid>/stat times, 100 on every mainstream Linux build.
const TICKS_PER_SECOND = 100;

/** Average cores in a window. */
export interface Cores {
  services: number;
  /** Backends connected to the bench database. */
  postgres: number;
  /** This process: the sandboxes and the load generator. */
  bench: number;
  rest: number;
}

/** utime + stime of one process, in seconds; NaN once it is gone. */
function ownSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** Busy seconds of the whole machine: user, nice, system, irq, softirq. */
function machineSeconds(): number {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = fields;
  return (user + nice + system + irq + softirq) / TICKS_PER_SECOND;
}

async function backendPids(admin: postgres.Sql, database: string): Promise<number[]> {
  const rows = await admin<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${database}`;
  return rows.map((r) => r.pid);
}

/**
 * Starts measuring; the returned function ends the window. Backends that both start and end
 * inside the window are missed (the account pools keep theirs for 30 s idle, the main pool for
 * good), so the PostgreSQL figure is a floor.
 */
export async function probeCores(admin: postgres.Sql, database: string, servicePids: number[]): Promise<() => Promise<Cores>> {
  const backends = new Map<number, number>();
  for (const pid of await backendPids(admin, database)) backends.set(pid, ownSeconds(pid));
  const start = {
    at: performance.now(),
    services: servicePids.map(ownSeconds),
    bench: process.cpuUsage(),
    machine: machineSeconds(),
  };
  return async () => {
    const pids = await backendPids(admin, database);
    const end = { at: performance.now(), services: servicePids.map(ownSeconds), bench: process.cpuUsage(start.bench), machine: machineSeconds() };
    const wall = (end.at - start.at) / 1000;
    let postgresSeconds = 0;
    for (const pid of pids) {
      const now = ownSeconds(pid);
      if (Number.isFinite(now)) postgresSeconds += now - (backends.get(pid) ?? 0);
    }
    // A service that exited in the window is no longer there to read: count what it had.
    const serviceSeconds = end.services.reduce(
      (sum, s, i) => sum + ((Number.isFinite(s) ? s : (start.services[i] as number)) - (start.services[i] as number)),
      0,
    );
    const benchSeconds = (end.bench.user + end.bench.system) / 1e6;
    const busy = end.machine - start.machine;
    return {
      services: serviceSeconds / wall,
      postgres: postgresSeconds / wall,
      bench: benchSeconds / wall,
      rest: Math.max(0, busy - serviceSeconds - postgresSeconds - benchSeconds) / wall,
    };
  };
}
