/**
 * Where the CPU went during a phase, from /proc: on two shared cores the split between the
 * service, PostgreSQL and the load generator says more than any single throughput figure.
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

// USER_HZ: the unit of /proc/<pid>/stat times, 100 on every mainstream Linux build.
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds of a process plus those of its children that exited (utime, stime, cutime, cstime):
 * the postmaster thus keeps the time of backends and autovacuum workers that are gone. 0 once the
 * process itself is gone.
 */
function processSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields.slice(11, 15).reduce((sum, ticks) => sum + Number(ticks), 0) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Every PostgreSQL process (postmaster, backends, walwriter, …), by name. */
function postgresSeconds() {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') total += processSeconds(entry);
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/**
 * Busy seconds of the whole machine, all cores: user, nice, system, irq and softirq. Not idle or
 * iowait, not steal (the hypervisor's), not guest (already inside user).
 */
function machineSeconds() {
  const [user, nice, system, , , irq, softirq] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq) / TICKS_PER_SECOND;
}

function benchSeconds() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/**
 * Starts measuring; the returned function gives the average number of cores each party used.
 * "other" is the rest of the machine: other programs, and kernel work no process is charged for.
 */
export function cpuProbe(servicePid) {
  const snapshot = () => ({
    at: performance.now(),
    service: servicePid ? processSeconds(servicePid) : 0,
    postgres: postgresSeconds(),
    bench: benchSeconds(),
    machine: machineSeconds(),
  });
  const start = snapshot();
  return () => {
    const end = snapshot();
    const wall = (end.at - start.at) / 1000;
    const cores = (key) => (end[key] - start[key]) / wall;
    const other = Math.max(0, cores('machine') - cores('service') - cores('postgres') - cores('bench'));
    return { ...(servicePid ? { service: cores('service') } : {}), postgres: cores('postgres'), bench: cores('bench'), other };
  };
}

export function machineInfo() {
  const cpus = os.cpus();
  return { cpus: cpus.length, model: cpus[0]?.model.trim() ?? 'unknown', node: process.version, kernel: os.release() };
}
