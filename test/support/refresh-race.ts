/**
 * One of two processes racing to refresh the same amoCRM token (test/integration/oauth.test.ts).
 * Waits until the agreed moment, asks for a token, uses it once, prints what happened.
 *   node --import tsx test/support/refresh-race.ts DATABASE_URL BASE_URL GO_AT_MS
 */
import { connectPostgres } from '../../src/db/client';
import { OAuthTokens } from '../../src/crm/amocrm/auth';
import { memoryLogger } from '../../src/lib/log';
import { parseSealKeys } from '../../src/lib/seal';

const [databaseUrl, baseUrl, goAt] = process.argv.slice(2) as [string, string, string];
const database = connectPostgres(databaseUrl, { max: 2 });
const sealKeys = parseSealKeys(process.env.SECRETS_KEYS ?? '');
const tokens = new OAuthTokens({
  db: database.db,
  account: { id: process.env.ACCOUNT_ID as string, kind: 'amocrm', baseUrl },
  client: { clientId: process.env.CLIENT_ID as string, clientSecret: process.env.CLIENT_SECRET as string, redirectUri: process.env.REDIRECT_URI as string },
  log: memoryLogger('error'),
  now: () => new Date(),
  keys: 'keys' in sealKeys ? sealKeys.keys : [],
});
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(goAt) - Date.now())));
try {
  const token = await tokens.token();
  const res = await fetch(`${baseUrl}/api/v4/account`, { headers: { authorization: `Bearer ${token}` } });
  console.log(JSON.stringify({ token, status: res.status }));
} catch (error) {
  console.log(JSON.stringify({ error: (error as Error).message }));
} finally {
  await database.close();
}
