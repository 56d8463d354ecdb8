import { describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('applies the defaults of local mode', () => {
    const config = loadConfig({});
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(3000);
    expect(config.publicUrl).toBe('http://localhost:3000');
    expect(config.databaseUrl).toBeNull();
    expect(config.encryptionKeys).toBeNull();
    expect(config.partnerName).toBe('Latchkey');
    expect(config.logLevel).toBe('info');
    expect(config.sessionWindowSeconds).toBe(1800);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('derives the public URL from the port', () => {
    expect(loadConfig({ LATCHKEY_PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
  });

  it('reports every invalid value together', () => {
    let error: unknown;
    try {
      loadConfig({
        LATCHKEY_PORT: 'eighty',
        LATCHKEY_LOG_LEVEL: 'loud',
        LATCHKEY_DATABASE_URL: 'mysql://x',
        LATCHKEY_PUBLIC_URL: 'not a url',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toContain('LATCHKEY_PORT');
    expect(problems.join('\n')).toContain('LATCHKEY_LOG_LEVEL');
    expect(problems.join('\n')).toContain('LATCHKEY_DATABASE_URL');
    expect(problems.join('\n')).toContain('LATCHKEY_PUBLIC_URL');
  });

  it('requires encryption keys in production, saying what to set', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/LATCHKEY_ENCRYPTION_KEYS is required when NODE_ENV=production/);
  });

  it('rejects origins with a path', () => {
    expect(() => loadConfig({ LATCHKEY_SUCCESS_URL_ORIGINS: 'https://app.example.com/done' })).toThrow(/LATCHKEY_SUCCESS_URL_ORIGINS/);
    expect(loadConfig({ LATCHKEY_SUCCESS_URL_ORIGINS: 'https://a.example.com, https://b.example.com' }).successUrlOrigins).toEqual([
      'https://a.example.com',
      'https://b.example.com',
    ]);
  });

  it('reports an invalid keyring together with other problems', () => {
    let error: unknown;
    try {
      loadConfig({ LATCHKEY_ENCRYPTION_KEYS: 'k1:c2hvcnQ=', LATCHKEY_PORT: 'abc' });
    } catch (caught) {
      error = caught;
    }
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toContain('key "k1" must be 32 bytes');
    expect(problems.join('\n')).not.toContain('c2hvcnQ');
  });

  it('names the value of a public URL without a scheme', () => {
    expect(() => loadConfig({ LATCHKEY_PUBLIC_URL: 'localhost:3013' })).toThrow(/got "localhost:3013"/);
  });

  it('rejects a data folder that is a file', () => {
    expect(() => loadConfig({ LATCHKEY_DATA_DIR: 'package.json' })).toThrow(/LATCHKEY_DATA_DIR must be a folder/);
  });

  it('rejects a host name that is not an address', () => {
    expect(() => loadConfig({ LATCHKEY_HOST: 'not-a-host' })).toThrow(/LATCHKEY_HOST must be an IP address/);
    expect(loadConfig({ LATCHKEY_HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(loadConfig({ LATCHKEY_HOST: '::1' }).host).toBe('::1');
  });
});
