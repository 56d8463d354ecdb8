import type { Kysely } from 'kysely';

import type { Database, OAuthAppRow } from './schema.ts';

/** The partner's OAuth client for each connector; the secret is sealed to the connector id. */
export class OAuthAppRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async find(connectorId: string): Promise<OAuthAppRow | undefined> {
    return this.db.selectFrom('oauth_apps').selectAll().where('connector_id', '=', connectorId).executeTakeFirst();
  }

  async upsert(row: OAuthAppRow): Promise<void> {
    await this.db
      .insertInto('oauth_apps')
      .values(row)
      .onConflict((conflict) =>
        conflict.column('connector_id').doUpdateSet({
          client_id: row.client_id,
          client_secret_sealed: row.client_secret_sealed,
          scopes: row.scopes,
          updated_at: row.updated_at,
        }),
      )
      .execute();
  }

  async listAll(): Promise<OAuthAppRow[]> {
    return this.db.selectFrom('oauth_apps').selectAll().execute();
  }

  async updateSealedSecret(connectorId: string, sealed: string): Promise<void> {
    await this.db.updateTable('oauth_apps').set({ client_secret_sealed: sealed }).where('connector_id', '=', connectorId).execute();
  }
}
