/**
 * Fails the run when tests did not really run: a selected project (unit, pglite, postgres,
 * workerd) that ran no test, or any skipped/todo test. A suite that silently skips — say,
 * because a database was unreachable — must not look green.
 */
import type { Reporter, TestModule, Vitest } from 'vitest/node';

export default class CompletenessReporter implements Reporter {
  private projects: string[] = [];

  onInit(vitest: Vitest) {
    this.projects = vitest.projects.map((p) => p.name);
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>) {
    const ran = new Map<string, number>(this.projects.map((p) => [p, 0]));
    const notRun: string[] = [];
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'skipped' || state === 'pending') notRun.push(`${module.project.name} › ${test.fullName} (${state})`);
        else ran.set(module.project.name, (ran.get(module.project.name) ?? 0) + 1);
      }
    }
    const empty = [...ran].filter(([, n]) => n === 0).map(([p]) => p);
    const summary = [...ran].map(([p, n]) => `${p}: ${n}`).join(', ');
    if (empty.length || notRun.length) {
      console.error(`\ncompleteness check FAILED (tests run per project: ${summary})`);
      for (const p of empty) console.error(`  project "${p}" ran no test`);
      for (const t of notRun) console.error(`  not run: ${t}`);
      process.exitCode = 1;
    } else {
      console.log(`\ncompleteness check: every selected project ran, nothing skipped (${summary})`);
    }
  }
}
