import { randomBytes } from 'node:crypto';

import pg from 'pg';

/** Database engines the integration suites run against. */
export type TestEngine = 'sqlite' | 'postgres';

/** URL of the administrative database of the local PostgreSQL server used by tests. */
export const TEST_POSTGRES_ADMIN_URL = process.env.LATCHKEY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Returns the engine selected for this run by `LATCHKEY_TEST_ENGINE`, SQLite by default. */
export function selectedTestEngine(): TestEngine {
  return process.env.LATCHKEY_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';
}

/** Creates an empty PostgreSQL database for one test server; `drop` removes it. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `latchkey_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      const client = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
