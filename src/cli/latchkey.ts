import { existsSync } from 'node:fs';

import { Command } from 'commander';
import pino from 'pino';

import { buildApp } from '../app.ts';
import { ConfigError, loadConfig, type Config } from '../config/config.ts';
import { createApiKey, listApiKeys, revokeApiKey } from '../domain/api-keys.ts';
import { createLogger, openRuntime, type Runtime } from '../runtime.ts';
import { rotateKeys } from './rotate-keys.ts';

/** Loads `.env` from the working folder when present; variables already set win. */
function loadDotEnv(): void {
  if (existsSync('.env')) {
    process.loadEnvFile('.env');
  }
}

function readConfig(): Config {
  loadDotEnv();
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`latchkey: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

async function serve(): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config);
  const runtime = await openRuntime(config, logger);
  const app = await buildApp({ config, database: runtime.database, context: runtime.context, logger });

  const stop = async (signal: string) => {
    logger.info({ signal }, 'stopping');
    await app.close();
    await runtime.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const hint =
      code === 'EADDRINUSE'
        ? 'another process listens there; stop it or set LATCHKEY_PORT to a free port'
        : 'check LATCHKEY_HOST and LATCHKEY_PORT';
    throw new Error(`cannot listen on ${config.host}:${config.port} (${code ?? (error as Error).message}): ${hint}`, { cause: error });
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  logger.info(
    { url: `http://${config.host}:${port}`, publicUrl: config.publicUrl, engine: runtime.database.engine },
    'Latchkey is listening; create a partner API key with: npx latchkey api-keys create --name "my backend"',
  );
}

/**
 * Runs a command other than `serve` with an open runtime and closes it afterwards.
 *
 * These commands log to standard error, so standard output carries only their result.
 */
async function withRuntime(command: (runtime: Runtime) => Promise<void>): Promise<void> {
  const config = readConfig();
  const runtime = await openRuntime(config, createLogger(config, pino.destination(2)));
  try {
    await command(runtime);
  } finally {
    await runtime.close();
  }
}

const program = new Command();
program.name('latchkey').description('Single-use, expiring setup links for authenticating third-party apps.');

program.command('serve').description('start the HTTP server (partner API and hosted pages)').action(serve);

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .action(() => withRuntime(async () => undefined));

const apiKeys = program.command('api-keys').description('manage partner API keys');
apiKeys
  .command('create')
  .description('create a partner API key and print it once on standard output')
  .requiredOption('--name <name>', 'label that says who uses the key')
  .action((options: { name: string }) =>
    withRuntime(async (runtime) => {
      const created = await createApiKey(runtime.context, options.name);
      runtime.logger.info({ apiKeyId: created.id }, 'API key created');
      process.stdout.write(`${created.key}\n`);
    }),
  );

apiKeys
  .command('list')
  .description('list partner API keys (ids, names, dates; never the key values)')
  .action(() =>
    withRuntime(async (runtime) => {
      for (const key of await listApiKeys(runtime.context)) {
        const state = key.revoked_at === null ? 'active' : `revoked ${key.revoked_at}`;
        process.stdout.write(`${key.id}\t${state}\t${key.created_at}\t${key.name}\n`);
      }
    }),
  );

apiKeys
  .command('revoke')
  .description('revoke a partner API key by its id (key_...); requests with it get 401 at once')
  .argument('<id>', 'id of the API key, as listed by api-keys list')
  .action((id: string) =>
    withRuntime(async (runtime) => {
      if (!(await revokeApiKey(runtime.context, id))) {
        throw new Error(`no active API key has the id "${id}"; see npx latchkey api-keys list`);
      }
      runtime.logger.info({ apiKeyId: id }, 'API key revoked');
    }),
  );

const keys = program.command('keys').description('manage the encryption keyring');
keys
  .command('rotate')
  .description(
    're-encrypt every stored secret under the newest key; local mode first adds a new key to the key file, ' +
      'with LATCHKEY_ENCRYPTION_KEYS put the new key first before running it',
  )
  .action(() =>
    withRuntime(async (runtime) => {
      const counts = await rotateKeys(runtime);
      process.stdout.write(
        `Re-encrypted ${counts.credentials} credentials, ${counts.oauthApps} OAuth client secrets and ${counts.verifiers} PKCE verifiers under key ${counts.keyId}.\n`,
      );
    }),
  );

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`latchkey: ${(error as Error).message}\n`);
  process.exit(1);
});
