import { Migrator, type Kysely, type MigrationResult } from 'kysely';

import { initialMigration } from './migrations/0001-initial.ts';
import type { Database } from './schema.ts';

/** Migrations in order; names sort in the order they apply and never change once released. */
const MIGRATIONS = {
  '0001-initial': initialMigration,
};

/** Raised when a migration fails; the database keeps the migrations applied before it. */
export class MigrationError extends Error {
  readonly code = 'migration_failed';
}

/** Applies every pending migration and returns the names applied. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((result: MigrationResult) => result.status === 'Error');
    const reason = error instanceof Error ? error.message : String(error);
    const step = failed === undefined ? 'database migration failed' : `migration ${failed.migrationName} failed`;
    throw new MigrationError(`${step}: ${reason}`, { cause: error });
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
