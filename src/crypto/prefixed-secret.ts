import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SECRET_BYTES = 32;
/** 62^43 exceeds 2^256, so 43 base62 digits carry all 256 random bits. */
const BODY_LENGTH = 43;
const CHECKSUM_LENGTH = 6;

/**
 * Generates a secret of 256 random bits as `{prefix}{43 base62 digits}{6-digit CRC32 checksum}`.
 *
 * The prefix lets secret scanners find leaked values, and the checksum lets a typo be
 * rejected without a database lookup.
 */
export function generatePrefixedSecret(prefix: string): string {
  const body = encodeBase62(BigInt(`0x${randomBytes(SECRET_BYTES).toString('hex')}`), BODY_LENGTH);
  return `${prefix}${body}${checksumOf(prefix + body)}`;
}

/** Returns true when `value` has the prefix, the length, the alphabet and a matching checksum. */
export function isWellFormedSecret(prefix: string, value: string): boolean {
  if (value.length !== prefix.length + BODY_LENGTH + CHECKSUM_LENGTH || !value.startsWith(prefix)) {
    return false;
  }
  const rest = value.slice(prefix.length);
  if (!/^[0-9A-Za-z]+$/.test(rest)) {
    return false;
  }
  const body = rest.slice(0, BODY_LENGTH);
  const checksum = rest.slice(BODY_LENGTH);
  return safeEqual(checksum, checksumOf(prefix + body));
}

/** Hashes a secret with SHA-256 for storage and lookup; returns lowercase hex. */
export function hashSecret(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Compares two strings in time independent of where they differ. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

function checksumOf(text: string): string {
  return encodeBase62(BigInt(crc32(text)), CHECKSUM_LENGTH);
}

function encodeBase62(value: bigint, width: number): string {
  let digits = '';
  let rest = value;
  while (rest > 0n) {
    digits = BASE62[Number(rest % 62n)] + digits;
    rest /= 62n;
  }
  return digits.padStart(width, '0');
}
