import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = path.resolve('bin/latchkey.js');

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'latchkey-cli-'));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs the command line with a clean environment pointing at the test's data folder. */
async function latchkey(args: string[], env: Record<string, string> = {}) {
  try {
    const result = await run(process.execPath, [BIN, ...args], {
      cwd: dataDir,
      env: { PATH: process.env.PATH ?? '', LATCHKEY_DATA_DIR: path.join(dataDir, 'data'), ...env },
      timeout: 30_000,
    });
    return { code: 0, stdout: result.stdout, stderr: result.stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('latchkey command', () => {
  it('api-keys create prints only the key', async () => {
    const result = await latchkey(['api-keys', 'create', '--name', 'ci']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^lkak_[0-9A-Za-z]{49}\n$/);
    expect(result.stderr).toContain('created a local encryption key file');
    const keyFile = await stat(path.join(dataDir, 'data', 'latchkey.key'));
    expect(keyFile.mode & 0o777).toBe(0o600);
  });

  it('migrate applies the migrations and exits', async () => {
    const result = await latchkey(['migrate']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('0001-initial');
  });

  it('refuses to start in production without encryption keys, saying what to set', async () => {
    const result = await latchkey(['serve'], { NODE_ENV: 'production' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('LATCHKEY_ENCRYPTION_KEYS is required when NODE_ENV=production');
  });

  it('reports every invalid setting and exits', async () => {
    const result = await latchkey(['serve'], { LATCHKEY_PORT: 'abc', LATCHKEY_LOG_LEVEL: 'chatty' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('LATCHKEY_PORT');
    expect(result.stderr).toContain('LATCHKEY_LOG_LEVEL');
  });

  it('stops start-up on an invalid connector file, naming the file and the field', async () => {
    const connectors = path.join(dataDir, 'connectors');
    await mkdir(connectors);
    await writeFile(path.join(connectors, 'broken.yaml'), 'id: broken\nname: Broken\nauth:\n  mode: magic\n');
    const result = await latchkey(['migrate'], { LATCHKEY_CONNECTORS_DIR: connectors });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('broken.yaml');
    expect(result.stderr).toContain('/auth/mode');
    await expect(stat(path.join(dataDir, 'data', 'latchkey.key'))).rejects.toThrow();
  });

  it('keys rotate re-encrypts under a new key', async () => {
    await latchkey(['migrate']);
    const result = await latchkey(['keys', 'rotate']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^Re-encrypted 0 credentials, 0 OAuth client secrets and 0 PKCE verifiers under key k\d{14}-[0-9a-f]{4}\.\n$/,
    );
  });

  it('names the cause when the database cannot be reached', async () => {
    const result = await latchkey(['migrate'], { LATCHKEY_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/latchkey_missing_database' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('database migration failed');
    expect(result.stderr).toContain('latchkey_missing_database');
  });

  it('says which setting to change when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const result = await latchkey(['serve'], { LATCHKEY_PORT: String(port) });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`cannot listen on 127.0.0.1:${port} (EADDRINUSE)`);
      expect(result.stderr).toContain('LATCHKEY_PORT');
    } finally {
      blocker.close();
    }
  });

  it('lists and revokes API keys without printing their values', async () => {
    const created = await latchkey(['api-keys', 'create', '--name', 'backend']);
    const listed = await latchkey(['api-keys', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(created.stdout.trim());
    const id = listed.stdout.split('\t')[0]!;
    expect(id).toMatch(/^key_/);
    expect(listed.stdout).toContain('\tactive\t');

    expect((await latchkey(['api-keys', 'revoke', id])).code).toBe(0);
    expect((await latchkey(['api-keys', 'list'])).stdout).toContain('\trevoked ');
    const again = await latchkey(['api-keys', 'revoke', id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no active API key has the id "${id}"`);
  });
});
