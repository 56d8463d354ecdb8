import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { checkDefinitionRules, escapePointer } from './check-definition-rules.ts';
import {
  BasicInjectionSchema,
  ConnectorDefinitionSchema,
  HeaderInjectionSchema,
  isOAuthMode,
  PATTERN_DESCRIPTIONS,
  QueryInjectionSchema,
  type ConnectorAuth,
  type ConnectorDefinition,
  type ConnectorDefinitionDocument,
  type DefinitionProblem,
  type FieldDefinition,
} from './connector-definition.ts';

/** Result of {@link parseConnectorDefinition}: the definition, or every problem found. */
export type ParseDefinitionResult = { ok: true; definition: ConnectorDefinition } | { ok: false; problems: DefinitionProblem[] };

type Report = (field: string, reason: string) => void;
type FieldDocument = NonNullable<ConnectorDefinitionDocument['fields']>[number];

/**
 * Validates a parsed definition file against the schema and the catalog rules, and
 * returns the definition with defaults applied and deeply frozen, or every problem found.
 * The rules run only on a document that matches the schema, so that one wrong type does
 * not produce a cascade of follow-on problems.
 */
export function parseConnectorDefinition(document: unknown, source: string): ParseDefinitionResult {
  const schemaProblems = describeSchemaErrors(document);
  if (schemaProblems.length > 0) return { ok: false, problems: schemaProblems };

  const checked = document as ConnectorDefinitionDocument;
  const ruleProblems = checkDefinitionRules(checked);
  if (ruleProblems.length > 0) return { ok: false, problems: ruleProblems };

  return { ok: true, definition: deepFreeze(applyDefaults(checked, source)) };
}

function describeSchemaErrors(document: unknown): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const add = (field: string, reason: string): void => {
    if (!problems.some((problem) => problem.field === field && problem.reason === reason)) problems.push({ field, reason });
  };

  for (const error of Value.Errors(ConnectorDefinitionSchema, document)) {
    // The union of injection shapes reports errors for every shape, so it is checked
    // again below against the one shape that its keys select.
    if (error.instancePath === '/api/inject' || error.instancePath.startsWith('/api/inject/')) continue;
    describeSchemaError(error, add);
  }

  const inject = readPointer(document, ['api', 'inject']);
  if (inject !== undefined) describeInjectionErrors(inject, add);

  return problems;
}

function describeInjectionErrors(inject: unknown, add: Report): void {
  if (typeof inject !== 'object' || inject === null || Array.isArray(inject)) {
    add('/api/inject', 'must be an object with one of the keys header, query or basic');
    return;
  }
  const schema = selectInjectionSchema(inject);
  if (!schema) {
    add('/api/inject', 'must have one of the keys header, query or basic');
    return;
  }

  for (const error of Value.Errors(schema, inject)) {
    describeSchemaError({ ...error, instancePath: `/api/inject${error.instancePath}` }, add);
  }
}

function selectInjectionSchema(inject: object): TSchema | undefined {
  if ('basic' in inject) return BasicInjectionSchema;
  if ('query' in inject) return QueryInjectionSchema;
  if ('header' in inject) return HeaderInjectionSchema;
  return undefined;
}

interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

function describeSchemaError(error: SchemaError, add: Report): void {
  const at = error.instancePath;
  const params = error.params;

  switch (error.keyword) {
    case 'boolean':
      // Duplicates the additionalProperties error, which names the key.
      return;
    case 'required':
      for (const key of params['requiredProperties'] as string[]) add(`${at}/${escapePointer(key)}`, 'is required');
      return;
    case 'additionalProperties':
      for (const key of params['additionalProperties'] as string[]) {
        add(`${at}/${escapePointer(key)}`, `unknown key "${key}" (check its spelling or remove it)`);
      }
      return;
    case 'type':
      add(at, describeType(String(params['type'])));
      return;
    case 'enum':
      add(at, `must be one of: ${(params['allowedValues'] as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`);
      return;
    case 'pattern': {
      const pattern = String(params['pattern']);
      add(at, PATTERN_DESCRIPTIONS[pattern] ?? `must match the pattern ${pattern}`);
      return;
    }
    case 'minLength':
      add(at, params['limit'] === 1 ? 'must not be empty' : `must be at least ${String(params['limit'])} characters long`);
      return;
    case 'maxLength':
      add(at, `must be at most ${String(params['limit'])} characters long`);
      return;
    case 'minItems':
      add(at, params['limit'] === 1 ? 'must not be an empty list' : `must have at least ${String(params['limit'])} items`);
      return;
    case 'uniqueItems':
      add(at, 'must not contain the same item twice');
      return;
    case 'minimum':
    case 'maximum':
      add(at, `must be ${error.keyword === 'minimum' ? 'at least' : 'at most'} ${String(params['limit'])}`);
      return;
    default:
      add(at, error.message);
  }
}

function describeType(type: string): string {
  switch (type) {
    case 'object':
      return 'must be a mapping of keys to values';
    case 'array':
      return 'must be a list';
    case 'boolean':
      return 'must be true or false';
    case 'integer':
      return 'must be an integer';
    default:
      return `must be a ${type}`;
  }
}

function applyDefaults(document: ConnectorDefinitionDocument, source: string): ConnectorDefinition {
  return {
    id: document.id,
    name: document.name,
    ...(document.logo !== undefined && { logo: document.logo }),
    ...(document.docsUrl !== undefined && { docsUrl: document.docsUrl }),
    auth: buildAuth(document.auth),
    fields: (document.fields ?? []).map(buildField),
    api: { baseUrl: document.api.baseUrl, inject: structuredClone(document.api.inject) },
    ...(document.verify && {
      verify: {
        method: document.verify.method ?? 'GET',
        path: document.verify.path,
        expectStatus: document.verify.expectStatus ?? 200,
      },
    }),
    allowPrivateNetwork: document.allowPrivateNetwork ?? false,
    source,
  };
}

function buildAuth(auth: ConnectorDefinitionDocument['auth']): ConnectorAuth {
  if (!isOAuthMode(auth.mode)) return { mode: auth.mode };

  return {
    mode: auth.mode,
    ...(auth.authorizationUrl !== undefined && { authorizationUrl: auth.authorizationUrl }),
    ...(auth.tokenUrl !== undefined && { tokenUrl: auth.tokenUrl }),
    scopes: [...(auth.scopes ?? [])],
    scopeSeparator: auth.scopeSeparator ?? ' ',
    pkce: auth.pkce ?? false,
    clientAuth: auth.clientAuth ?? 'client_secret_basic',
    authorizationParams: { ...auth.authorizationParams },
    ...(auth.issuer !== undefined && { issuer: auth.issuer }),
    tokenResponse: structuredClone(auth.tokenResponse ?? {}),
  };
}

function buildField(field: FieldDocument): FieldDefinition {
  return {
    name: field.name,
    label: field.label,
    ...(field.help !== undefined && { help: field.help }),
    secret: field.secret ?? false,
    ...(field.pattern !== undefined && { pattern: field.pattern }),
    ...(field.enum !== undefined && { enum: [...field.enum] }),
    optional: field.optional ?? false,
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

function readPointer(document: unknown, keys: string[]): unknown {
  let current = document;
  for (const key of keys) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
