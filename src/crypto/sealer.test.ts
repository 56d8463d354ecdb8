import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { KeyringError, loadOrCreateLocalKeyring, parseKeyring } from './keyring.ts';
import { Sealer, UnsealError } from './sealer.ts';

const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');

describe('Sealer', () => {
  it('round-trips text, including several kilobytes', () => {
    const sealer = new Sealer(parseKeyring(`a:${keyA}`));
    for (const plaintext of ['', 'secret', 'é✓ 🔑', 'x'.repeat(64 * 1024)]) {
      expect(sealer.open(sealer.seal(plaintext, 'row:1'), 'row:1')).toBe(plaintext);
    }
  });

  it('writes a versioned envelope naming the key', () => {
    const envelope = new Sealer(parseKeyring(`a:${keyA}`)).seal('secret', 'row:1');
    expect(envelope.split('.')[0]).toBe('v1');
    expect(envelope.split('.')[1]).toBe('a');
    expect(envelope).not.toContain('secret');
  });

  it('fails to open an envelope bound to another row', () => {
    const sealer = new Sealer(parseKeyring(`a:${keyA}`));
    expect(() => sealer.open(sealer.seal('secret', 'row:1'), 'row:2')).toThrow(UnsealError);
  });

  it('fails to open a damaged envelope', () => {
    const sealer = new Sealer(parseKeyring(`a:${keyA}`));
    const envelope = sealer.seal('secret', 'row:1');
    const parts = envelope.split('.');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0] = body[0]! ^ 1;
    parts[3] = body.toString('base64url');
    expect(() => sealer.open(parts.join('.'), 'row:1')).toThrow(UnsealError);
    expect(() => sealer.open('v1.a.short', 'row:1')).toThrow(UnsealError);
  });

  it('opens values sealed under an older key and seals under the first', () => {
    const old = new Sealer(parseKeyring(`a:${keyA}`));
    const envelope = old.seal('secret', 'row:1');
    const rotated = new Sealer(parseKeyring(`b:${keyB},a:${keyA}`));
    expect(rotated.open(envelope, 'row:1')).toBe('secret');
    expect(rotated.needsResealing(envelope)).toBe(true);
    expect(rotated.seal('secret', 'row:1').split('.')[1]).toBe('b');
  });

  it('fails with a clear error when the key was retired', () => {
    const envelope = new Sealer(parseKeyring(`a:${keyA}`)).seal('secret', 'row:1');
    expect(() => new Sealer(parseKeyring(`b:${keyB}`)).open(envelope, 'row:1')).toThrow(/key "a", which is not in the keyring/);
  });
});

describe('parseKeyring', () => {
  it('rejects short keys, bad ids, duplicates and empty input without echoing key material', () => {
    const short = randomBytes(16).toString('base64');
    expect(() => parseKeyring(`a:${short}`)).toThrow(KeyringError);
    expect(() => parseKeyring(`a:${short}`)).not.toThrow(new RegExp(short.slice(0, 8).replace(/[+/]/g, '.')));
    expect(() => parseKeyring(keyA)).toThrow(/entry 1/);
    expect(() => parseKeyring(`a:${keyA},a:${keyB}`)).toThrow(/appears twice/);
    expect(() => parseKeyring('')).toThrow(/at least one key/);
  });
});

describe('loadOrCreateLocalKeyring', () => {
  it('creates the folder and a key file with mode 0600 once', () => {
    const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'latchkey-key-')), 'data');
    const first = loadOrCreateLocalKeyring(dataDir);
    expect(first.created).toBe(true);
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    const second = loadOrCreateLocalKeyring(dataDir);
    expect(second.created).toBe(false);
    expect(second.keyring.current.id).toBe(first.keyring.current.id);
    expect(readFileSync(first.file, 'utf8').trim()).toMatch(/^k\d{14}-[0-9a-f]{4}:[A-Za-z0-9+/]+=*$/);
  });
});
