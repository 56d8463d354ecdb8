import type { Kysely } from 'kysely';

import type { Database, OAuthAttemptRow } from './schema.ts';

/** Authorization requests sent from setup sessions, keyed by the hash of their `state`. */
export class OAuthAttemptRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: OAuthAttemptRow): Promise<void> {
    await this.db.insertInto('oauth_attempts').values(row).execute();
  }

  async find(id: string): Promise<OAuthAttemptRow | undefined> {
    return this.db.selectFrom('oauth_attempts').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async findByStateHash(stateHash: string): Promise<OAuthAttemptRow | undefined> {
    return this.db.selectFrom('oauth_attempts').selectAll().where('state_hash', '=', stateHash).executeTakeFirst();
  }

  /**
   * Consumes a `state` once: only the first caller gets the row back, so a replayed or
   * duplicated callback never reaches the token endpoint a second time.
   */
  async consume(stateHash: string, now: string): Promise<OAuthAttemptRow | undefined> {
    return this.db
      .updateTable('oauth_attempts')
      .set({ consumed_at: now })
      .where('state_hash', '=', stateHash)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
  }

  /** Records how a consumed attempt ended and erases its PKCE verifier, which is no longer needed. */
  async recordOutcome(id: string, outcome: 'completed' | 'failed', errorCode: string | null): Promise<void> {
    await this.db
      .updateTable('oauth_attempts')
      .set({ outcome, error_code: errorCode, code_verifier_sealed: null })
      .where('id', '=', id)
      .execute();
  }

  async listWithVerifier(): Promise<Pick<OAuthAttemptRow, 'id' | 'code_verifier_sealed'>[]> {
    return this.db
      .selectFrom('oauth_attempts')
      .select(['id', 'code_verifier_sealed'])
      .where('code_verifier_sealed', 'is not', null)
      .execute();
  }

  async updateSealedVerifier(id: string, sealed: string): Promise<void> {
    await this.db.updateTable('oauth_attempts').set({ code_verifier_sealed: sealed }).where('id', '=', id).execute();
  }
}
