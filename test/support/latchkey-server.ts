import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';

import type { FastifyInstance } from 'fastify';

import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createApiKey } from '../../src/domain/api-keys.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { createLogger, openRuntime, type Runtime } from '../../src/runtime.ts';
import { findFreePort } from './free-port.ts';
import { createPostgresDatabase, selectedTestEngine } from './test-database.ts';

/** A Latchkey server listening on loopback for one test file, with its log lines captured. */
export interface TestServer {
  url: string;
  apiKey: string;
  app: FastifyInstance;
  runtime: Runtime;
  clock: ManualClock;
  /** Every log line written so far, as raw JSON text. */
  logLines: string[];
  /** Calls the partner API with the test's API key and returns status and parsed body. */
  api(
    method: string,
    path: string,
    body?: unknown,
    options?: { apiKey?: string },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/** Options of a test server; `connectors` are extra definition files written to a temporary folder. */
export interface TestServerOptions {
  connectors?: Record<string, string>;
  env?: Record<string, string>;
  redeemRateLimit?: number;
  /** Port to listen on, for tests that must register the callback URL before the server starts. */
  port?: number;
}

/** Starts Latchkey on 127.0.0.1 with a fresh SQLite database and key file in a temporary folder. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'latchkey-test-'));
  const connectorsDir = path.join(dataDir, 'connectors');
  await mkdir(connectorsDir);
  for (const [name, text] of Object.entries(options.connectors ?? {})) {
    await writeFile(path.join(connectorsDir, name), text);
  }

  const port = options.port ?? (await findFreePort());
  const postgres = selectedTestEngine() === 'postgres' ? await createPostgresDatabase() : null;
  const config = loadConfig({
    LATCHKEY_HOST: '127.0.0.1',
    LATCHKEY_PORT: String(port),
    LATCHKEY_PUBLIC_URL: `http://127.0.0.1:${port}`,
    LATCHKEY_DATA_DIR: dataDir,
    LATCHKEY_CONNECTORS_DIR: connectorsDir,
    LATCHKEY_LOG_LEVEL: 'debug',
    LATCHKEY_PARTNER_NAME: 'Acme Partner',
    ...(postgres === null ? {} : { LATCHKEY_DATABASE_URL: postgres.url }),
    ...options.env,
  });

  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const logger = createLogger(config, sink);
  const clock = new ManualClock();
  const runtime = await openRuntime(config, logger, { clock });
  const app = await buildApp({
    config,
    database: runtime.database,
    context: runtime.context,
    logger,
    ...(options.redeemRateLimit === undefined ? {} : { redeemRateLimit: options.redeemRateLimit }),
  });
  await app.listen({ host: '127.0.0.1', port });
  const url = `http://127.0.0.1:${port}`;
  const { key: apiKey } = await createApiKey(runtime.context, 'test suite');

  return {
    url,
    apiKey,
    app,
    runtime,
    clock,
    logLines,
    async api(method, requestPath, body, callOptions) {
      const response = await fetch(`${url}${requestPath}`, {
        method,
        headers: {
          authorization: `Bearer ${callOptions?.apiKey ?? apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text === '' ? null : JSON.parse(text);
      } catch {
        // Non-JSON bodies are returned as text.
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    async close() {
      await app.close();
      // A test may have destroyed the database already to simulate an outage.
      await runtime.close().catch(() => undefined);
      await postgres?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
