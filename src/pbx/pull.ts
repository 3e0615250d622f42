/**
 * What reconciliation asks of a PBX source: its pull (the interface is shared by the sources,
 * pbx/core/pull.ts); the portable pulls themselves are listed in pbx/registry.ts.
 * @module
 */
export type { PbxPull, PullDeps, PullWindow } from './core/pull';
