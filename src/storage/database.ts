import { mkdirSync } from 'node:fs';
import path from 'node:path';

import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';

import type { Database } from './schema.ts';

/** Name of the SQLite database file in the data folder. */
export const SQLITE_FILE = 'latchkey.sqlite';

/** Database location: a PostgreSQL URL, or a folder for the embedded SQLite file. */
export interface DatabaseConfig {
  readonly databaseUrl: string | null;
  readonly dataDir: string;
}

/** A connected database and the engine behind it. */
export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly engine: 'sqlite' | 'postgres';
  /** Data location with any password removed, for start-up logs. */
  readonly location: string;
}

/** Opens the configured database: PostgreSQL when a URL is given, otherwise SQLite under the data folder. */
export function openDatabase(config: DatabaseConfig, logger?: Logger): DatabaseHandle {
  if (config.databaseUrl !== null) {
    const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 10 });
    // An idle connection that the server closes emits 'error' on the pool; the pool then
    // replaces it, so the error is logged and not raised.
    pool.on('error', (error) => {
      logger?.warn({ err: { message: error.message, code: (error as { code?: string }).code } }, 'idle database connection closed');
    });
    const location = new URL(config.databaseUrl);
    location.password = '';
    return {
      db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }),
      engine: 'postgres',
      location: location.href,
    };
  }

  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(config.dataDir, SQLITE_FILE);
  const sqlite = new SQLite(file);
  // WAL lets readers work while a write is in progress; the busy timeout makes concurrent
  // writers from other processes wait instead of failing at once.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  return {
    db: new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) }),
    engine: 'sqlite',
    location: file,
  };
}
