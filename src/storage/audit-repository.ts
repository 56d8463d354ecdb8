import type { Kysely } from 'kysely';

import { selectPage, type Page } from './pagination.ts';
import type { AuditEventRow, Database } from './schema.ts';

/** The append-only audit log. */
export class AuditRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: AuditEventRow): Promise<void> {
    await this.db.insertInto('audit_events').values(row).execute();
  }

  async list(
    filter: { accountId?: string; accountConnectorId?: string; setupTokenId?: string },
    options: { limit: number; cursor?: string },
  ): Promise<Page<AuditEventRow>> {
    let query = this.db.selectFrom('audit_events').selectAll();
    if (filter.accountId !== undefined) {
      query = query.where('account_id', '=', filter.accountId);
    }
    if (filter.accountConnectorId !== undefined) {
      query = query.where('account_connector_id', '=', filter.accountConnectorId);
    }
    if (filter.setupTokenId !== undefined) {
      query = query.where('setup_token_id', '=', filter.setupTokenId);
    }
    return selectPage(query, 'audit_events', options);
  }
}
