import type { ConnectorDefinition, FieldDefinition } from './connector-definition.ts';
import { parseTemplate } from './render-template.ts';

/** Maximum length of one field value, in UTF-16 code units (characters, for ASCII values). */
export const MAX_FIELD_VALUE_LENGTH = 16_384;

/** Cleaned field values by field name, and one customer-facing message per rejected field. */
export interface CleanedFieldValues {
  values: Record<string, string>;
  errors: Record<string, string>;
}

const ZERO_WIDTH_NAMES = new Map<number, string>([
  [0x200b, 'a zero-width space'],
  [0x200c, 'a zero-width non-joiner'],
  [0x200d, 'a zero-width joiner'],
  [0x2060, 'a word joiner'],
  [0xfeff, 'a byte-order mark'],
]);

const CONTROL_NAMES = new Map<number, string>([
  [0x00, 'a null character'],
  [0x09, 'a tab'],
  [0x0a, 'a line break'],
  [0x0d, 'a carriage return'],
]);

/**
 * Checks a value that goes into an HTTP header and returns a customer-facing message for
 * the first zero-width, control (C0, DEL, C1) or non-ASCII character, or undefined when
 * the value is safe. The message names the character as U+XXXX and its 1-based position,
 * counted in Unicode code points, and never repeats the value.
 */
export function checkHeaderSafe(value: string, label = 'The value'): string | undefined {
  let position = 0;

  for (const character of value) {
    position += 1;
    const codePoint = character.codePointAt(0)!;
    const description = describeUnsafeCharacter(codePoint);
    if (description) {
      return `${label} contains ${description} (${formatCodePoint(codePoint)}) at position ${position}. Remove it and try again.`;
    }
  }
  return undefined;
}

function describeUnsafeCharacter(codePoint: number): string | undefined {
  const zeroWidth = ZERO_WIDTH_NAMES.get(codePoint);
  if (zeroWidth) return zeroWidth;
  if (codePoint <= 0x1f || codePoint === 0x7f || (codePoint >= 0x80 && codePoint <= 0x9f)) {
    return CONTROL_NAMES.get(codePoint) ?? 'a control character';
  }
  if (codePoint === 0xa0) return 'a non-breaking space';
  if (codePoint > 0x7e) return 'a non-ASCII character';
  return undefined;
}

function formatCodePoint(codePoint: number): string {
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Cleans and checks the values a customer entered for a connector's fields.
 *
 * Values lose surrounding white space and a leading byte-order mark, except Basic
 * passwords (the field named `password` in basic mode, and any field used in the Basic
 * password template), which are kept exactly as typed. Every field used in a credential
 * (header, query parameter or Basic) is checked with {@link checkHeaderSafe}, and a field
 * used in the Basic username may not contain ":". Required fields must be non-empty, and
 * values must match the field's enum and pattern. Empty optional values are left out of
 * `values`. Keys of `raw` that are not fields are ignored.
 */
export function cleanFieldValues(definition: ConnectorDefinition, raw: Record<string, unknown>): CleanedFieldValues {
  const usage = findCredentialFields(definition);
  const values: Record<string, string> = {};
  const errors: Record<string, string> = {};

  for (const field of definition.fields) {
    const input = Object.hasOwn(raw, field.name) ? raw[field.name] : undefined;
    const result = cleanFieldValue(field, input, usage);
    if (result.error !== undefined) errors[field.name] = result.error;
    else if (result.value !== undefined) values[field.name] = result.value;
  }

  return { values, errors };
}

interface CredentialFields {
  /** Fields whose values are sent in a header, a query parameter or Basic credentials. */
  injected: Set<string>;
  basicUsername: Set<string>;
  /** Fields kept exactly as typed. */
  exact: Set<string>;
}

function findCredentialFields(definition: ConnectorDefinition): CredentialFields {
  const inject = definition.api.inject;
  const usage: CredentialFields = { injected: new Set(), basicUsername: new Set(), exact: new Set() };

  if ('basic' in inject) {
    addPlaceholders(inject.basic.username, usage.injected, usage.basicUsername);
    addPlaceholders(inject.basic.password, usage.injected, usage.exact);
  } else {
    addPlaceholders(inject.value, usage.injected);
  }
  if (definition.auth.mode === 'basic') usage.exact.add('password');

  return usage;
}

function addPlaceholders(template: string, ...targets: Set<string>[]): void {
  for (const part of parseTemplate(template)) {
    if (part.kind !== 'placeholder') continue;
    for (const target of targets) target.add(part.name);
  }
}

function cleanFieldValue(field: FieldDefinition, input: unknown, usage: CredentialFields): { value?: string; error?: string } {
  if (input !== undefined && input !== null && typeof input !== 'string') {
    return { error: `${field.label} must be text.` };
  }

  const typed = input ?? '';
  const value = usage.exact.has(field.name) ? typed : typed.replace(/^\uFEFF/, '').trim();

  if (value === '') {
    return field.optional ? {} : { error: `${field.label} is required.` };
  }
  if (value.length > MAX_FIELD_VALUE_LENGTH) {
    return { error: `${field.label} is longer than the maximum of ${MAX_FIELD_VALUE_LENGTH} characters.` };
  }
  if (usage.injected.has(field.name)) {
    const unsafe = checkHeaderSafe(value, field.label);
    if (unsafe) return { error: unsafe };
  }
  if (usage.basicUsername.has(field.name) && value.includes(':')) {
    const position = [...value].indexOf(':') + 1;
    return {
      error: `${field.label} contains a colon (:) at position ${position}, which HTTP Basic authentication does not allow in a user name.`,
    };
  }
  if (field.enum && !field.enum.includes(value)) {
    return { error: `${field.label} must be one of: ${field.enum.join(', ')}.` };
  }
  if (field.pattern !== undefined && !new RegExp(field.pattern, 'u').test(value)) {
    return { error: `${field.label} is not in the expected format. Check it and try again.` };
  }

  return { value };
}
