/**
 * Users: who signs in to the console, with which role, (for a rep) which extension is theirs, and
 * which amoCRM user may sign in as them from the widget (one calltrail user per amoCRM user).
 * Changing a password or disabling a user bumps its session epoch, which ends its sessions.
 * @module
 */
import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { users } from '../db/schema';
import type { Role } from '../domain/actor';
import { errorCodes } from '../lib/error-codes';
import { hashPassword, temporaryPassword } from './password';

export type UserRow = typeof users.$inferSelect;

export interface PublicUser {
  id: number;
  email: string;
  name: string;
  role: Role;
  extension: string | null;
  amocrm_user_id: number | null;
  disabled_at: string | null;
  created_at: string;
}

export const presentUser = (u: UserRow): PublicUser => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role as Role,
  extension: u.extension,
  amocrm_user_id: u.amocrmUserId,
  disabled_at: u.disabledAt?.toISOString() ?? null,
  created_at: u.createdAt.toISOString(),
});

export const normalizeEmail = (email: string) => email.trim().toLowerCase();
const EMAIL = /^[^\s@]+@[^\s@]+$/;

export class PeopleError extends Error {
  constructor(
    readonly code: 'invalid' | 'taken' | 'not_found' | 'not_allowed',
    message: string,
  ) {
    super(message);
  }
}

/** Owners are managed by owners only: an admin can neither make one nor change one. */
export function mayManage(actorRole: Role | null, targetRole: Role, newRole?: Role): boolean {
  if (actorRole === 'owner') return true;
  if (actorRole !== 'admin') return false;
  return targetRole !== 'owner' && newRole !== 'owner';
}

export async function listUsers(db: Db): Promise<UserRow[]> {
  return db.select().from(users).orderBy(asc(users.id));
}

export async function findUser(db: Db, id: number): Promise<UserRow | null> {
  if (!Number.isSafeInteger(id) || id < 1 || id > 2 ** 31 - 1) return null;
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row ?? null;
}

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | null> {
  const [row] = await db
    .select()
    .from(users)
    .where(eq(users.email, normalizeEmail(email)));
  return row ?? null;
}

/** The user linked to this amoCRM user, enabled or not; null when none is. */
export async function findUserByAmoUser(db: Db, amocrmUserId: number): Promise<UserRow | null> {
  if (!Number.isSafeInteger(amocrmUserId) || amocrmUserId < 1 || amocrmUserId > 2 ** 31 - 1) return null;
  const [row] = await db.select().from(users).where(eq(users.amocrmUserId, amocrmUserId));
  return row ?? null;
}

export async function countUsers(db: Db): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(users);
  return row?.n ?? 0;
}

export interface NewUser {
  email: string;
  name?: string;
  role: Role;
  extension?: string | null;
  /** The amoCRM user who may sign in as this one; null or absent: none. */
  amocrmUserId?: number | null;
  /** Absent: a temporary one is generated and returned once. */
  password?: string;
}

export function passwordProblem(password: string): string | null {
  if (password.length < 10) return 'the password must have at least 10 characters';
  if (password.length > 256) return 'the password must have at most 256 characters';
  return null;
}

function checkAmoUser(id: number | null | undefined): void {
  if (id === undefined || id === null) return;
  if (!Number.isSafeInteger(id) || id < 1 || id > 2 ** 31 - 1)
    throw new PeopleError('invalid', 'amocrm_user_id: expected a positive whole number (an amoCRM user id)');
}

/** The unique index on amocrm_user_id is the only one an insert or update can still break (emails go through ON CONFLICT). */
function linkTaken(error: unknown, id: number | null | undefined): never {
  if (id != null && errorCodes(error).includes('23505')) throw new PeopleError('taken', `amoCRM user ${id} is linked to another calltrail user already`);
  throw error;
}

/** Creates a user; returns it with the password to hand over when one was generated. */
export async function createUser(db: Db, input: NewUser, hash = hashPassword): Promise<{ user: UserRow; temporaryPassword: string | null }> {
  const email = normalizeEmail(input.email);
  if (!EMAIL.test(email) || email.length > 254) throw new PeopleError('invalid', 'email: not an email address');
  const generated = input.password === undefined ? temporaryPassword() : null;
  const password = input.password ?? (generated as string);
  const problem = passwordProblem(password);
  if (problem) throw new PeopleError('invalid', `password: ${problem}`);
  checkAmoUser(input.amocrmUserId);
  const [row] = await db
    .insert(users)
    .values({
      email,
      name: input.name?.trim() ?? '',
      role: input.role,
      extension: input.extension?.trim() || null,
      amocrmUserId: input.amocrmUserId ?? null,
      passwordHash: await hash(password),
    })
    .onConflictDoNothing({ target: users.email })
    .returning()
    .catch((error) => linkTaken(error, input.amocrmUserId));
  if (!row) throw new PeopleError('taken', `a user with the email ${email} exists already`);
  return { user: row, temporaryPassword: generated };
}

export interface UserChange {
  name?: string;
  role?: Role;
  extension?: string | null;
  /** null: unlink. */
  amocrmUserId?: number | null;
  disabled?: boolean;
  /** true: generate a temporary password; a string: set that one. */
  password?: true | string;
}

/** Applies a change; a new password or a disable ends the user's sessions. */
export async function updateUser(
  db: Db,
  id: number,
  change: UserChange,
  now: Date,
  hash = hashPassword,
): Promise<{ user: UserRow; temporaryPassword: string | null }> {
  const current = await findUser(db, id);
  if (!current) throw new PeopleError('not_found', `no user ${id}`);
  checkAmoUser(change.amocrmUserId);
  const generated = change.password === true ? temporaryPassword() : null;
  const password = typeof change.password === 'string' ? change.password : generated;
  if (password !== null) {
    const problem = passwordProblem(password);
    if (problem) throw new PeopleError('invalid', `password: ${problem}`);
  }
  const endSessions = password !== null || (change.disabled === true && !current.disabledAt) || (change.role !== undefined && change.role !== current.role);
  const [row] = await db
    .update(users)
    .set({
      ...(change.name !== undefined ? { name: change.name.trim() } : {}),
      ...(change.role !== undefined ? { role: change.role } : {}),
      ...(change.extension !== undefined ? { extension: change.extension?.trim() || null } : {}),
      ...(change.amocrmUserId !== undefined ? { amocrmUserId: change.amocrmUserId } : {}),
      ...(change.disabled !== undefined ? { disabledAt: change.disabled ? (current.disabledAt ?? now) : null } : {}),
      ...(password !== null ? { passwordHash: await hash(password) } : {}),
      ...(endSessions ? { sessionEpoch: sql`${users.sessionEpoch} + 1` } : {}),
      updatedAt: now,
    })
    .where(eq(users.id, id))
    .returning()
    .catch((error) => linkTaken(error, change.amocrmUserId));
  return { user: row as UserRow, temporaryPassword: generated };
}
