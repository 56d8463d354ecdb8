import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

import type { Keyring } from './keyring.ts';

const ENVELOPE_VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Raised when a sealed value cannot be opened: unknown key id, damaged data or wrong row. */
export class UnsealError extends Error {
  readonly code = 'credentials_undecryptable';
}

/**
 * Encrypts and decrypts values with AES-256-GCM under a keyring.
 *
 * An envelope reads `v1.{keyId}.{iv}.{ciphertext+tag}` in base64url. The associated data
 * binds the envelope to its version, its key id and the caller's context (such as the
 * row it is stored in), so an envelope copied to another row fails to open.
 */
export class Sealer {
  constructor(private readonly keyring: Keyring) {}

  /** Encrypts `plaintext` under the current key, bound to `context`. */
  seal(plaintext: string, context: string): string {
    const { id, key } = this.keyring.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(associatedData(id, context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [ENVELOPE_VERSION, id, iv.toString('base64url'), body.toString('base64url')].join('.');
  }

  /** Decrypts an envelope made by `seal` with the same `context`. */
  open(envelope: string, context: string): string {
    const [version, keyId, ivText, bodyText, ...rest] = envelope.split('.');
    if (version !== ENVELOPE_VERSION || keyId === undefined || ivText === undefined || bodyText === undefined || rest.length > 0) {
      throw new UnsealError('sealed value has an unknown format');
    }
    const entry = this.keyring.find(keyId);
    if (entry === undefined) {
      throw new UnsealError(`sealed value uses key "${keyId}", which is not in the keyring`);
    }
    const iv = Buffer.from(ivText, 'base64url');
    const body = Buffer.from(bodyText, 'base64url');
    if (iv.length !== IV_BYTES || body.length < TAG_BYTES) {
      throw new UnsealError('sealed value is truncated');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', entry.key, iv);
      decipher.setAAD(associatedData(keyId, context));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new UnsealError('sealed value failed authentication: damaged, or stored for another record');
    }
  }

  /**
   * Computes HMAC-SHA256 of `data` under a key derived by HKDF from the current key for `purpose`.
   *
   * Returns base64url. The result changes when the current key changes, so use it only for
   * values that live shorter than a key rotation.
   */
  keyedHash(purpose: string, data: string): string {
    const key = Buffer.from(hkdfSync('sha256', this.keyring.current.key, Buffer.alloc(0), `latchkey:${purpose}`, 32));
    return createHmac('sha256', key).update(data, 'utf8').digest('base64url');
  }

  /** Returns true when the envelope was sealed under a key other than the current one. */
  needsResealing(envelope: string): boolean {
    return envelope.split('.')[1] !== this.keyring.current.id;
  }
}

function associatedData(keyId: string, context: string): Buffer {
  return Buffer.from(`latchkey:${ENVELOPE_VERSION}:${keyId}:${context}`, 'utf8');
}
