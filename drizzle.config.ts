import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` writes SQL into migrations/ from the schema. They are applied by calltrail's
// own runner — `npm run migrate` (DATABASE_URL, or the embedded database in DATA_DIR), and the Node
// service at start — which takes an advisory lock and knows the per-account schemas.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/index.ts',
  out: './migrations',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres' },
  strict: true,
  verbose: true,
});
