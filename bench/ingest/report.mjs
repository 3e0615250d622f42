/**
 * The printed summary: figures, goals (MET / MISSED, never fatal) and correctness checks (fatal).
 * @module
 */
const GOALS = { ofBaseline: 0.7, p99Ms: 20 };

const fixed = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '-');
const pad = (text, width) => String(text).padStart(width);

const LABEL = 42;
const CPU_PARTIES = ['service', 'postgres', 'bench', 'other'];
// More than this much CPU elsewhere means the machine was not quiet and the figures are disturbed.
const NOISY_OTHER_CORES = 0.2;

function row(label, events, latency, cpu) {
  const ms = [latency?.p50, latency?.p90, latency?.p99, latency?.max].map((v) => pad(fixed(v), 7));
  const cores = cpu ? CPU_PARTIES.map((party) => pad(party in cpu ? fixed(cpu[party], 2) : '-', 9)) : [];
  return `  ${label.padEnd(LABEL)}${pad(fixed(events), 9)}${ms.join('')}  ${cores.join('')}`;
}

function header() {
  return [
    `  ${''.padEnd(LABEL)}${pad('', 9)}${pad('latency, ms', 28)}  ${pad('CPU, cores', 36)}`,
    `  ${'run'.padEnd(LABEL)}${pad('events/s', 9)}${['p50', 'p90', 'p99', 'max'].map((h) => pad(h, 7)).join('')}  ${CPU_PARTIES.map((h) => pad(h, 9)).join('')}`,
  ];
}

function describeCheck(check) {
  if (check.phase === 'stop') return `${check.engine}: service stop`;
  const { counts } = check;
  const tables = `inbox ${counts.inbox}, conversations ${counts.conversations}, legs ${counts.legs}, recordings ${counts.recordings}, deliveries ${counts.deliveries}`;
  if (check.phase === 'baseline') return `baseline: ${check.acknowledged} committed; ${tables}`;
  return (
    `${check.engine} ${check.phase}: ${check.acknowledged} × 2xx processed; ${tables}` +
    (check.cutOff ? ` (= 2xx + ${check.cutOff} cut off in flight at stop, of ${check.unanswered} unanswered)` : '')
  );
}

/** Prints everything; returns true when every correctness check passed. */
export function printSummary(context, results) {
  const { settings, machine, database } = context;
  const { postgres: pg, baseline, pglite } = results;
  const c = settings.connections;
  const out = [];
  out.push('', 'calltrail ingest benchmark', '');
  out.push(`  machine    ${machine.cpus} CPUs (${machine.model}), Linux ${machine.kernel}, Node ${machine.node}`);
  out.push(`  database   PostgreSQL ${database.version} at ${database.host} (${database.settings})`);
  out.push(`  command    ${context.command}   (from ${context.cwd === '.' ? 'the repository root' : context.cwd})`);
  out.push(
    `  setup      autocannon in the bench process (one thread, no workers), ${c} connections, pipelining 1;` +
      ` warm-up ${settings.warmup} s, then ${settings.duration} s per run`,
  );
  out.push(`             every request a new signed call.ended (answered, recorded: settles on arrival)`);
  out.push(`  service    node bin/calltrail.mjs serve, LOG_LEVEL=warn, default pool (10 PostgreSQL connections)`);
  out.push('');
  out.push(...header());
  const serviceRows = (engine, m) => [
    row(`${engine} service, closed loop, ${m.throughput.connections} conns`, m.throughput.eventsPerSecond, m.throughput.latency, m.throughput.cpu),
    row(`${engine} service, ${settings.rate}/s over ${m.fixed.connections} conns`, m.fixed.eventsPerSecond, m.fixed.latency, m.fixed.cpu),
  ];
  if (pg) out.push(...serviceRows('PostgreSQL', pg));
  if (baseline) out.push(row(`bare postgres.js loop, ${c} workers/conns`, baseline.eventsPerSecond, null, baseline.cpu));
  if (pglite) out.push(...serviceRows('PGlite', pglite));
  out.push(
    '  (bench = this process: autocannon, or the baseline loop; other = everything else on the machine.',
    `   The ${settings.rate}/s run spreads the rate over single-connection streams started at staggered offsets.)`,
  );
  const measured = [pg?.throughput, pg?.fixed, baseline, pglite?.throughput, pglite?.fixed].filter(Boolean);
  const noisy = measured.some((r) => r.cpu.other > NOISY_OTHER_CORES);
  if (noisy) out.push(`  WARNING: more than ${NOISY_OTHER_CORES} cores went to other work during some run; the machine was not quiet.`);

  const goal = (met, text) => `  ${(met ? 'MET' : 'MISSED').padEnd(7)}${text}`;
  // A latency figure only means something if the requested rate was actually offered and served.
  const rateHeld = (m) => m.fixed.eventsPerSecond >= 0.97 * settings.rate;
  out.push('', 'goals');
  if (pg && baseline) {
    const share = pg.throughput.eventsPerSecond / baseline.eventsPerSecond;
    out.push(
      goal(
        share >= GOALS.ofBaseline,
        `PostgreSQL service ≥ ${GOALS.ofBaseline * 100} % of the bare baseline: ` +
          `${fixed(pg.throughput.eventsPerSecond)} / ${fixed(baseline.eventsPerSecond)} events/s = ${fixed(share * 100)} %`,
      ),
    );
  }
  if (pg) {
    out.push(
      goal(
        pg.fixed.latency.p99 < GOALS.p99Ms && rateHeld(pg),
        `PostgreSQL p99 < ${GOALS.p99Ms} ms at ${settings.rate} events/s: p99 ${fixed(pg.fixed.latency.p99)} ms` +
          ` at ${fixed(pg.fixed.eventsPerSecond)} events/s served`,
      ),
    );
  }
  if (pglite) {
    out.push(
      `  ${'info'.padEnd(7)}PGlite: ${fixed(pglite.throughput.eventsPerSecond)} events/s closed loop` +
        (baseline ? ` (${fixed((pglite.throughput.eventsPerSecond / baseline.eventsPerSecond) * 100)} % of the PostgreSQL baseline)` : '') +
        `; p99 ${fixed(pglite.fixed.latency.p99)} ms at ${fixed(pglite.fixed.eventsPerSecond)}/s` +
        ` (${pglite.fixed.latency.p99 < GOALS.p99Ms && rateHeld(pglite) ? 'within' : 'outside'} the ${GOALS.p99Ms} ms goal)`,
    );
  }

  const checks = [...(pg?.checks ?? []), ...(baseline ? [baseline.check] : []), ...(pglite?.checks ?? [])];
  out.push('', 'correctness (every acknowledged event has exactly its 5 rows, nothing else was written)');
  for (const check of checks) {
    out.push(`  ${(check.ok ? 'OK' : 'FAILED').padEnd(7)}${describeCheck(check)}`);
    for (const problem of check.problems) out.push(`           ${problem}`);
  }
  for (const [engine, m] of [
    ['PostgreSQL', pg],
    ['PGlite', pglite],
  ]) {
    if (m?.serviceLog.count) {
      out.push(`  note   the ${engine} service logged ${m.serviceLog.count} line(s) at warn level or above; last:`);
      for (const line of m.serviceLog.tail) out.push(`           ${line.slice(0, 300)}`);
    }
  }
  const allOk = checks.every((check) => check.ok);
  out.push('', allOk ? 'all correctness checks passed' : 'CORRECTNESS CHECKS FAILED', '');
  console.log(out.join('\n'));
  return allOk;
}
