/**
 * Headless Chromium for the browser tests (Debian's /usr/bin/chromium, or CHROMIUM_PATH), and a
 * PostgreSQL database of a test file's own for the service under test.
 */
import postgres from 'postgres';
import { chromium, type Browser } from 'playwright-core';
import { databaseUrl, TEST_DATABASE_URL } from './database-url';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];

/**
 * Starts Chromium and hands it to `keep` as soon as it is up, so that a file's afterAll closes it
 * even when the rest of its start-up (started meanwhile, in parallel) failed.
 */
export function launchChromium(keep: (browser: Browser) => void, extraArgs: string[] = []): Promise<Browser> {
  const launching = chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: [...ARGS, ...extraArgs] });
  launching.then(keep, () => {});
  return launching;
}

/** Creates an empty database (the service migrates it at start); returns its name and URL. */
export async function createServiceDatabase(prefix: string): Promise<{ name: string; url: string }> {
  const name = `calltrail_browser_${prefix}_${process.pid}_${Date.now().toString(36)}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return { name, url: databaseUrl(name) };
}

/** Drops a database made by createServiceDatabase. */
export async function dropServiceDatabase(name: string | undefined): Promise<void> {
  if (!name) return;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end();
  }
}
