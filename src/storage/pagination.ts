import type { SelectQueryBuilder } from 'kysely';

/** Maximum page size that a caller may request. */
export const MAX_PAGE_LIMIT = 100;
export const DEFAULT_PAGE_LIMIT = 20;

/** One page of rows and the cursor of the next page, or null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Position after the last row of a page: its creation time and id. */
interface CursorPosition {
  createdAt: string;
  id: string;
}

/** Raised for a cursor that this server did not produce. */
export class InvalidCursorError extends Error {
  readonly code = 'invalid_cursor';
}

/** Decodes a cursor from `encodeCursor`; throws InvalidCursorError for anything else. */
export function decodeCursor(cursor: string): CursorPosition {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      typeof value === 'object' &&
      value !== null &&
      typeof (value as CursorPosition).createdAt === 'string' &&
      typeof (value as CursorPosition).id === 'string'
    ) {
      return value as CursorPosition;
    }
  } catch {
    // Falls through to the error below.
  }
  throw new InvalidCursorError('cursor is invalid');
}

function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/**
 * Runs `query` as one page ordered by creation time and id.
 *
 * The order is total, so rows created between two page reads are neither skipped nor repeated.
 */
export async function selectPage<DB, TB extends keyof DB, Row extends { id: string; created_at: string }>(
  query: SelectQueryBuilder<DB, TB, Row>,
  table: string,
  options: { limit: number; cursor?: string | undefined },
): Promise<Page<Row>> {
  let paged = query;
  if (options.cursor !== undefined) {
    const position = decodeCursor(options.cursor);
    // The table name qualifies the columns, so joins cannot make them ambiguous.
    paged = paged.where((eb) =>
      eb.or([
        eb(eb.ref(`${table}.created_at` as never), '>', position.createdAt as never),
        eb.and([
          eb(eb.ref(`${table}.created_at` as never), '=', position.createdAt as never),
          eb(eb.ref(`${table}.id` as never), '>', position.id as never),
        ]),
      ]),
    );
  }
  const rows = await paged
    .orderBy(`${table}.created_at` as never)
    .orderBy(`${table}.id` as never)
    .limit(options.limit + 1)
    .execute();
  const items = rows.slice(0, options.limit);
  const last = items.at(-1);
  return {
    items,
    nextCursor: rows.length > options.limit && last !== undefined ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null,
  };
}
