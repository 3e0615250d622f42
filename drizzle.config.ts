import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` writes SQL into migrations/ from the schema; `npm run db:migrate` applies it
// to DATABASE_URL (the app also applies pending migrations itself when the Node service starts).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/index.ts',
  out: './migrations',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres' },
  strict: true,
  verbose: true,
});
