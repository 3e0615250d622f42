/**
 * Test helpers every CRM test shares: the CrmError a promise fails with, and a listing's pages
 * collected. Test-only; pure, so it stays portable.
 * @module
 */
import { CrmError, type LoggedCallsPage } from './port';

/** The CrmError the promise fails with; anything else (or no failure) fails the test. */
export async function crmFailure(promise: Promise<unknown>): Promise<CrmError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CrmError) return error;
    throw error;
  }
  throw new Error('expected a CrmError');
}

/** Every page of a listing of logged calls, in order. */
export async function collectPages(pages: AsyncIterable<LoggedCallsPage>): Promise<LoggedCallsPage[]> {
  const out: LoggedCallsPage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}
