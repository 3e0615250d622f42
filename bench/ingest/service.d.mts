/** Types of service.mjs, for the TypeScript benchmarks that reuse it. */

/** The repository root, with a trailing slash. */
export const REPO_ROOT: string;
