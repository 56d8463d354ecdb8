import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Length in bytes of every AES-256-GCM key. */
export const KEY_BYTES = 32;
/** Name of the key file that local mode creates in the data folder. */
export const LOCAL_KEY_FILE = 'latchkey.key';

/** One encryption key with the id stored beside every value it sealed. */
export interface KeyringEntry {
  readonly id: string;
  readonly key: Buffer;
}

/** Encryption keys in order of preference: the first seals, every one can open. */
export interface Keyring {
  readonly current: KeyringEntry;
  readonly entries: readonly KeyringEntry[];
  find(id: string): KeyringEntry | undefined;
}

/** Raised for a keyring text that cannot be used; the message never contains key material. */
export class KeyringError extends Error {
  readonly code = 'invalid_keyring';
}

/**
 * Parses a keyring written as `id:base64key` entries separated by commas.
 *
 * Ids are 1 to 32 letters, digits, `-` or `_`, and each key decodes to exactly 32 bytes.
 */
export function parseKeyring(text: string, source = 'LATCHKEY_ENCRYPTION_KEYS'): Keyring {
  const entries: KeyringEntry[] = [];
  const parts = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  for (const [index, part] of parts.entries()) {
    const separator = part.indexOf(':');
    const id = separator === -1 ? '' : part.slice(0, separator);
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) {
      throw new KeyringError(`${source}: entry ${index + 1} must look like "k1:<base64 key>"`);
    }
    const encoded = part.slice(separator + 1);
    const key = Buffer.from(encoded, 'base64');
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded) || key.length !== KEY_BYTES) {
      throw new KeyringError(`${source}: key "${id}" must be ${KEY_BYTES} bytes in base64`);
    }
    if (entries.some((entry) => entry.id === id)) {
      throw new KeyringError(`${source}: key id "${id}" appears twice`);
    }
    entries.push(Object.freeze({ id, key }));
  }
  const current = entries[0];
  if (current === undefined) {
    throw new KeyringError(`${source}: at least one key is required`);
  }
  return Object.freeze({
    current,
    entries: Object.freeze(entries),
    find: (id: string) => entries.find((entry) => entry.id === id),
  });
}

/** Formats keyring entries back into the `id:base64key,...` text form. */
export function formatKeyring(entries: readonly KeyringEntry[]): string {
  return entries.map((entry) => `${entry.id}:${entry.key.toString('base64')}`).join(',');
}

/**
 * Creates a keyring entry with a fresh random key.
 *
 * The id is the creation time to the second plus 4 random hex digits, so keys sort by age
 * and two keys made in the same second still differ.
 */
export function generateKeyringEntry(now: Date = new Date()): KeyringEntry {
  const id = `k${now.toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${randomBytes(2).toString('hex')}`;
  return { id, key: randomBytes(KEY_BYTES) };
}

/**
 * Loads the local key file from `dataDir`, creating the folder and the file (mode 0600) when absent.
 *
 * Returns whether the file was created, so the caller can log it.
 */
export function loadOrCreateLocalKeyring(dataDir: string): { keyring: Keyring; file: string; created: boolean } {
  const file = path.join(dataDir, LOCAL_KEY_FILE);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (existsSync(file)) {
    return { keyring: parseKeyring(readFileSync(file, 'utf8'), file), file, created: false };
  }
  writeFileSync(file, `${formatKeyring([generateKeyringEntry()])}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { keyring: parseKeyring(readFileSync(file, 'utf8'), file), file, created: true };
}

/** Writes a keyring to the local key file with mode 0600, replacing the previous content. */
export function writeLocalKeyring(file: string, entries: readonly KeyringEntry[]): void {
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, `${formatKeyring(entries)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  // A rename replaces the file atomically, so a crash never leaves a half-written keyring.
  renameSync(temporary, file);
}
