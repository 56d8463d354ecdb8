import pino, { type Logger } from 'pino';

import { loadCatalog, DEFAULT_CONNECTORS_DIRECTORY, type Catalog } from './catalog/load-catalog.ts';
import type { Config } from './config/config.ts';
import { loadOrCreateLocalKeyring, parseKeyring, type Keyring } from './crypto/keyring.ts';
import { Sealer } from './crypto/sealer.ts';
import { systemClock, type Clock } from './domain/clock.ts';
import type { DomainContext } from './domain/context.ts';
import { AccountConnectorRepository } from './storage/account-connector-repository.ts';
import { AccountRepository } from './storage/account-repository.ts';
import { AccountUserRepository } from './storage/account-user-repository.ts';
import { ApiKeyRepository } from './storage/api-key-repository.ts';
import { AuditRepository } from './storage/audit-repository.ts';
import { openDatabase, type DatabaseHandle } from './storage/database.ts';
import { migrateToLatest } from './storage/migrate.ts';
import { OAuthAppRepository } from './storage/oauth-app-repository.ts';
import { OAuthAttemptRepository } from './storage/oauth-attempt-repository.ts';
import { SetupTokenRepository } from './storage/setup-token-repository.ts';

/** Everything a running Latchkey process holds: database, keyring, catalog and domain context. */
export interface Runtime {
  config: Config;
  logger: Logger;
  database: DatabaseHandle;
  keyring: Keyring;
  /** Path of the local key file, or null when the keyring comes from the environment. */
  keyFile: string | null;
  catalog: Catalog;
  context: DomainContext;
  close(): Promise<void>;
}

/** Creates the process logger; pino writes JSON lines to standard output, or to `destination`. */
export function createLogger(config: Pick<Config, 'logLevel'>, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = { level: config.logLevel, base: { service: 'latchkey' } };
  return destination === undefined ? pino(options) : pino(options, destination);
}

/**
 * Opens the runtime in start-up order: catalog, keyring, database and migrations.
 *
 * The catalog loads first, so an invalid connector file stops start-up before a key file
 * or a database is created.
 */
export async function openRuntime(config: Config, logger: Logger, options: { clock?: Clock } = {}): Promise<Runtime> {
  const directories = [DEFAULT_CONNECTORS_DIRECTORY, ...(config.connectorsDir === null ? [] : [config.connectorsDir])];
  const catalog = await loadCatalog(directories);
  logger.info({ connectors: catalog.list().length, directories }, 'connector catalog loaded');

  let keyring: Keyring;
  let keyFile: string | null = null;
  if (config.encryptionKeys !== null) {
    keyring = parseKeyring(config.encryptionKeys);
  } else {
    const local = loadOrCreateLocalKeyring(config.dataDir);
    keyring = local.keyring;
    keyFile = local.file;
    if (local.created) {
      logger.warn({ keyFile: local.file }, 'created a local encryption key file (mode 0600); set LATCHKEY_ENCRYPTION_KEYS in production');
    }
  }

  const database = openDatabase(config, logger);
  const applied = await migrateToLatest(database.db);
  logger.info({ engine: database.engine, location: database.location, migrationsApplied: applied }, 'database ready');

  const db = database.db;
  const context: DomainContext = {
    repositories: {
      apiKeys: new ApiKeyRepository(db),
      accounts: new AccountRepository(db),
      accountUsers: new AccountUserRepository(db),
      oauthApps: new OAuthAppRepository(db),
      accountConnectors: new AccountConnectorRepository(db),
      setupTokens: new SetupTokenRepository(db),
      oauthAttempts: new OAuthAttemptRepository(db),
      audit: new AuditRepository(db),
    },
    sealer: new Sealer(keyring),
    catalog,
    clock: options.clock ?? systemClock,
    config: {
      publicUrl: config.publicUrl,
      sessionWindowSeconds: config.sessionWindowSeconds,
      refreshMarginSeconds: config.refreshMarginSeconds,
      successUrlOrigins: config.successUrlOrigins,
    },
    logger,
  };

  return {
    config,
    logger,
    database,
    keyring,
    keyFile,
    catalog,
    context,
    close: () => database.db.destroy(),
  };
}
