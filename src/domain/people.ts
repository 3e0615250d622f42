/**
 * Who is behind an extension: the CRM user responsible for its calls, and its department. The
 * integrator config's `extensions` map says it; delivery puts the user on the note and the task,
 * recordings apply per-department retention and sync rules. One lookup for both.
 * @module
 */

/** An `extensions` entry: a CRM user id, or {user, department}. */
export type ExtensionEntry = number | { user?: number; department?: string };

/** The part of the integrator config that maps extensions to people. */
export interface PeopleConfig {
  extensions: Readonly<Record<string, ExtensionEntry>>;
  /** Responsible user for calls whose extension is not mapped (or names only a department). */
  default_user: number | null;
}

export interface Person {
  userId: number | null;
  department: string | null;
}

/** The CRM user behind an extension, and its department. */
export function userFor(config: PeopleConfig, extension: string | null): Person {
  const entry = extension === null ? undefined : config.extensions[extension];
  if (typeof entry === 'number') return { userId: entry, department: null };
  return { userId: entry?.user ?? config.default_user, department: entry?.department ?? null };
}
