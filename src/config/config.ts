import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';

import { parseKeyring } from '../crypto/keyring.ts';

/** Log levels accepted by `LATCHKEY_LOG_LEVEL`. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 3000;
export const DEFAULT_DATA_DIR = './data';
export const DEFAULT_PARTNER_NAME = 'Latchkey';
export const DEFAULT_SESSION_WINDOW_SECONDS = 30 * 60;
export const DEFAULT_REFRESH_MARGIN_SECONDS = 60;

/** Settings of one Latchkey process, validated once at start and frozen. */
export interface Config {
  readonly production: boolean;
  readonly host: string;
  readonly port: number;
  /** Origin of setup links and of the OAuth redirect URI, without a trailing slash. */
  readonly publicUrl: string;
  readonly dataDir: string;
  readonly databaseUrl: string | null;
  /** Raw keyring text (`id:base64key,...`); null selects the local key file. */
  readonly encryptionKeys: string | null;
  readonly connectorsDir: string | null;
  readonly partnerName: string;
  readonly partnerLogoUrl: string | null;
  readonly logLevel: LogLevel;
  /** How long a redeemed setup token stays usable for authentication. */
  readonly sessionWindowSeconds: number;
  /** Access tokens closer to expiry than this are refreshed before being returned. */
  readonly refreshMarginSeconds: number;
  /** Origins that a setup token's `successUrl` may point to. */
  readonly successUrlOrigins: readonly string[];
  /** Origins allowed to frame the hosted pages and to receive the outcome by postMessage. */
  readonly embedOrigins: readonly string[];
}

/** Raised when the environment contains invalid settings; lists every problem found. */
export class ConfigError extends Error {
  readonly code = 'invalid_configuration';

  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the configuration from environment variables.
 *
 * Every variable is checked before any error is raised, so one start reports all problems.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const production = env.NODE_ENV === 'production';

  const host = nonEmpty(env.LATCHKEY_HOST) ?? DEFAULT_HOST;
  if (isIP(host) === 0 && host !== 'localhost') {
    problems.push(`LATCHKEY_HOST must be an IP address such as 127.0.0.1 or 0.0.0.0, or localhost; got "${host}"`);
  }
  const port = parseInteger(env, 'LATCHKEY_PORT', DEFAULT_PORT, 0, 65535, problems);
  const publicUrl = parsePublicUrl(env.LATCHKEY_PUBLIC_URL, port, problems);
  const dataDir = path.resolve(nonEmpty(env.LATCHKEY_DATA_DIR) ?? DEFAULT_DATA_DIR);
  if (statSync(dataDir, { throwIfNoEntry: false })?.isDirectory() === false) {
    problems.push(`LATCHKEY_DATA_DIR must be a folder; ${dataDir} is a file`);
  }

  const databaseUrl = nonEmpty(env.LATCHKEY_DATABASE_URL) ?? null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('LATCHKEY_DATABASE_URL must be a postgres:// URL, or unset to use the embedded SQLite database');
  }

  const encryptionKeys = nonEmpty(env.LATCHKEY_ENCRYPTION_KEYS) ?? null;
  if (encryptionKeys !== null) {
    try {
      parseKeyring(encryptionKeys);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (production && encryptionKeys === null) {
    problems.push(
      'LATCHKEY_ENCRYPTION_KEYS is required when NODE_ENV=production: set it to "k1:<32 random bytes in base64>", ' +
        'for example the output of `openssl rand -base64 32` prefixed with "k1:"',
    );
  }

  const logLevel = (nonEmpty(env.LATCHKEY_LOG_LEVEL) ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LATCHKEY_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}; got "${logLevel}"`);
  }

  const config: Config = {
    production,
    host,
    port,
    publicUrl,
    dataDir,
    databaseUrl,
    encryptionKeys,
    connectorsDir: nonEmpty(env.LATCHKEY_CONNECTORS_DIR) ? path.resolve(env.LATCHKEY_CONNECTORS_DIR!) : null,
    partnerName: nonEmpty(env.LATCHKEY_PARTNER_NAME) ?? DEFAULT_PARTNER_NAME,
    partnerLogoUrl: parseOptionalUrl(env, 'LATCHKEY_PARTNER_LOGO_URL', problems),
    logLevel,
    sessionWindowSeconds: parseInteger(env, 'LATCHKEY_SESSION_WINDOW_SECONDS', DEFAULT_SESSION_WINDOW_SECONDS, 60, 24 * 60 * 60, problems),
    refreshMarginSeconds: parseInteger(env, 'LATCHKEY_REFRESH_MARGIN_SECONDS', DEFAULT_REFRESH_MARGIN_SECONDS, 0, 3600, problems),
    successUrlOrigins: parseOrigins(env, 'LATCHKEY_SUCCESS_URL_ORIGINS', problems),
    embedOrigins: parseOrigins(env, 'LATCHKEY_EMBED_ORIGINS', problems),
  };

  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return Object.freeze(config);
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function parseInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number, problems: string[]): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) {
    return fallback;
  }
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    problems.push(`${name} must be a whole number from ${min} to ${max}; got "${raw}"`);
    return fallback;
  }
  return value;
}

function parsePublicUrl(raw: string | undefined, port: number, problems: string[]): string {
  const value = nonEmpty(raw);
  if (value === undefined) {
    return `http://localhost:${port}`;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`LATCHKEY_PUBLIC_URL must be an absolute http(s) URL; got "${value}"`);
    return value;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    problems.push(`LATCHKEY_PUBLIC_URL must be an absolute URL starting with http:// or https://; got "${value}"`);
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    problems.push('LATCHKEY_PUBLIC_URL must not contain credentials, a query or a fragment');
  }
  return url.href.replace(/\/+$/, '');
}

function parseOptionalUrl(env: NodeJS.ProcessEnv, name: string, problems: string[]): string | null {
  const value = nonEmpty(env[name]);
  if (value === undefined) {
    return null;
  }
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new Error('scheme');
    }
    return url.href;
  } catch {
    problems.push(`${name} must be an absolute http(s) URL; got "${value}"`);
    return null;
  }
}

function parseOrigins(env: NodeJS.ProcessEnv, name: string, problems: string[]): string[] {
  const value = nonEmpty(env[name]);
  if (value === undefined) {
    return [];
  }
  const origins: string[] = [];
  for (const entry of value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    try {
      const url = new URL(entry);
      if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== entry.replace(/\/$/, '')) {
        throw new Error('not an origin');
      }
      origins.push(url.origin);
    } catch {
      problems.push(`${name} must list origins such as https://app.example.com separated by commas; got "${entry}"`);
    }
  }
  return origins;
}
