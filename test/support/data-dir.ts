/**
 * A DATA_DIR whose embedded database (DATA_DIR/pglite) is already migrated: a copy of the
 * project's migrated PGlite template. A `calltrail` child process started on it finds nothing to
 * migrate, which on a loaded machine saves it many seconds of start-up. For tests that are not
 * about migrating; node-service.test.ts starts on an empty directory.
 */
import { PGlite } from '@electric-sql/pglite';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

export async function seedMigratedDataDir(dataDir: string): Promise<void> {
  const client = await PGlite.create(join(dataDir, 'pglite'), { loadDataDir: new Blob([readFileSync(inject('pgliteTemplate'))]) });
  await client.close();
}
