/** Types of sys.mjs, for the TypeScript benchmarks that reuse it. */

/** Average cores used since the probe started, by party; `service` only when a pid was given. */
export interface CpuShare {
  service?: number;
  postgres: number;
  bench: number;
  other: number;
}

export interface MachineInfo {
  cpus: number;
  model: string;
  node: string;
  kernel: string;
}

export function cpuProbe(servicePid?: number): () => CpuShare;
export function machineInfo(): MachineInfo;
