import {
  ACCESS_TOKEN_PLACEHOLDER,
  isOAuthMode,
  PARAMETER_NAME_PATTERN,
  PATTERN_DESCRIPTIONS,
  type ConnectorDefinitionDocument,
  type DefinitionProblem,
} from './connector-definition.ts';
import { RESERVED_AUTHORIZATION_PARAMS } from '../oauth/authorization-request.ts';
import { findRequestPathProblem } from './inject-credentials.ts';
import { checkHeaderSafe } from './input-hygiene.ts';
import {
  parseTemplate,
  parseUrlTemplate,
  renderUrlTemplate,
  TemplateError,
  type TemplatePart,
  type UrlTemplate,
} from './render-template.ts';

type Report = (field: string, reason: string) => void;
type FieldDocument = NonNullable<ConnectorDefinitionDocument['fields']>[number];

/**
 * Checks the rules of a schema-valid definition that JSON Schema cannot express: field names
 * are unique, URL templates use only constrained non-secret fields and keep their host,
 * the injection fits the auth mode, and links use https. Returns every problem found.
 */
export function checkDefinitionRules(document: ConnectorDefinitionDocument): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  // A field used in several URL templates would otherwise be reported once per template.
  const report: Report = (field, reason) => {
    if (!problems.some((problem) => problem.field === field && problem.reason === reason)) problems.push({ field, reason });
  };
  const fields = document.fields ?? [];

  checkFields(fields, report);
  checkAuth(document, fields, report);
  checkUrlTemplates(document, fields, report);
  checkInjection(document, fields, report);
  if (document.verify) checkVerifyPath(document.verify.path, report);
  for (const key of ['docsUrl', 'logo'] as const) {
    const value = document[key];
    if (value !== undefined) checkHttpsUrl(`/${key}`, value, report);
  }

  return problems;
}

function checkFields(fields: FieldDocument[], report: Report): void {
  const firstIndex = new Map<string, number>();

  fields.forEach((field, index) => {
    const at = `/fields/${index}`;
    const earlier = firstIndex.get(field.name);
    if (earlier === undefined) firstIndex.set(field.name, index);
    else report(`${at}/name`, `duplicate field name "${field.name}", already used by /fields/${earlier}`);

    if (field.name === ACCESS_TOKEN_PLACEHOLDER) {
      report(`${at}/name`, `"${ACCESS_TOKEN_PLACEHOLDER}" is reserved for the OAuth access token`);
    }
    if (field.pattern === undefined) return;

    let pattern: RegExp;
    try {
      pattern = new RegExp(field.pattern, 'u');
    } catch (error) {
      report(`${at}/pattern`, `is not a valid regular expression: ${(error as Error).message}`);
      return;
    }
    field.enum?.forEach((value, valueIndex) => {
      if (!pattern.test(value)) report(`${at}/enum/${valueIndex}`, 'does not match the pattern of the field');
    });
  });
}

const OAUTH_KEYS = [
  'authorizationUrl',
  'tokenUrl',
  'scopes',
  'scopeSeparator',
  'pkce',
  'clientAuth',
  'authorizationParams',
  'issuer',
  'tokenResponse',
] as const;
const AUTHORIZATION_CODE_KEYS = ['authorizationUrl', 'pkce', 'authorizationParams'] as const;
function checkAuth(document: ConnectorDefinitionDocument, fields: FieldDocument[], report: Report): void {
  const auth = document.auth;

  if (auth.mode === 'oauth2') {
    if (auth.authorizationUrl === undefined) report('/auth/authorizationUrl', 'is required when auth.mode is oauth2');
    if (auth.tokenUrl === undefined) report('/auth/tokenUrl', 'is required when auth.mode is oauth2');
  } else if (auth.mode === 'oauth2_client_credentials') {
    if (auth.tokenUrl === undefined) report('/auth/tokenUrl', 'is required when auth.mode is oauth2_client_credentials');
    for (const key of AUTHORIZATION_CODE_KEYS) {
      if (auth[key] !== undefined) report(`/auth/${key}`, 'is used only when auth.mode is oauth2');
    }
  } else {
    for (const key of OAUTH_KEYS) {
      if (auth[key] !== undefined) report(`/auth/${key}`, 'is used only when auth.mode is oauth2 or oauth2_client_credentials');
    }
  }

  if (auth.mode === 'api_key' && !fields.some((field) => field.secret === true)) {
    report('/fields', 'must contain at least one field with secret: true when auth.mode is api_key');
  }

  for (const name of Object.keys(auth.authorizationParams ?? {})) {
    const at = `/auth/authorizationParams/${escapePointer(name)}`;
    if (RESERVED_AUTHORIZATION_PARAMS.has(name)) report(at, 'is reserved, because Latchkey sets it or it changes how the response arrives');
    else if (!new RegExp(PARAMETER_NAME_PATTERN).test(name)) report(at, PATTERN_DESCRIPTIONS[PARAMETER_NAME_PATTERN]!);
  }

  const tokenResponse = auth.tokenResponse ?? {};
  if (tokenResponse.instanceUrlField !== undefined && tokenResponse.allowedInstanceHosts === undefined) {
    report('/auth/tokenResponse/allowedInstanceHosts', 'is required when instanceUrlField is set');
  }
  if (tokenResponse.allowedInstanceHosts !== undefined && tokenResponse.instanceUrlField === undefined) {
    report('/auth/tokenResponse/instanceUrlField', 'is required when allowedInstanceHosts is set');
  }
  if (auth.issuer !== undefined) checkHttpsUrl('/auth/issuer', auth.issuer, report);
}

function checkUrlTemplates(document: ConnectorDefinitionDocument, fields: FieldDocument[], report: Report): void {
  const allowPrivateNetwork = document.allowPrivateNetwork ?? false;
  const templates: Array<[string, string | undefined]> = [
    ['/api/baseUrl', document.api.baseUrl],
    ['/auth/authorizationUrl', document.auth.authorizationUrl],
    ['/auth/tokenUrl', document.auth.tokenUrl],
  ];

  for (const [at, template] of templates) {
    if (template === undefined) continue;

    let parts: UrlTemplate;
    try {
      parts = parseUrlTemplate(template);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      report(at, error.message);
      continue;
    }
    if (parts.scheme === 'http' && !allowPrivateNetwork)
      report(at, 'must use https, because http is allowed only with allowPrivateNetwork: true');
    if (at === '/api/baseUrl' && parts.rest.some((part) => part.kind === 'literal' && part.text.includes('?'))) {
      report(at, 'must not contain a query, because requests add their own query parameters');
    }

    const sampleValues = collectSampleValues(at, template, fields, report);
    if (!sampleValues) continue;
    try {
      renderUrlTemplate(template, sampleValues, { allowPrivateNetwork });
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      report(at, error.message);
    }
  }
}

/**
 * Checks that every placeholder of a URL template is a required, non-secret field whose
 * values are limited by a pattern or an enum, and returns one sample value per placeholder
 * for a trial render. Returns undefined when a placeholder is unusable.
 */
function collectSampleValues(at: string, template: string, fields: FieldDocument[], report: Report): Record<string, string> | undefined {
  const samples: Record<string, string> = {};
  let usable = true;

  for (const name of parseTemplate(template).flatMap((part) => (part.kind === 'placeholder' ? [part.name] : []))) {
    const index = fields.findIndex((field) => field.name === name);
    const field = fields[index];
    if (!field) {
      report(at, `uses {${name}}, which is not a declared field`);
      usable = false;
      continue;
    }
    if (field.secret === true) report(at, `uses the secret field {${name}}, but secret values must not appear in URLs`);
    else if (field.optional === true) report(at, `uses the optional field {${name}}, but fields used in URLs must be required`);
    else if (field.pattern === undefined && field.enum === undefined) {
      report(`/fields/${index}`, `needs a pattern or an enum, because {${name}} is used in a URL`);
    } else if (field.pattern !== undefined && !(field.pattern.startsWith('^') && field.pattern.endsWith('$'))) {
      report(`/fields/${index}/pattern`, `must start with "^" and end with "$", because {${name}} is used in a URL`);
    }
    samples[name] = field.enum?.[0] ?? 'example';
  }

  return usable ? samples : undefined;
}

function checkInjection(document: ConnectorDefinitionDocument, fields: FieldDocument[], report: Report): void {
  const inject = document.api.inject;
  const mode = document.auth.mode;
  const oauth = isOAuthMode(mode);

  if (mode === 'basic' && !('basic' in inject)) {
    report('/api/inject', 'must be { basic: { username, password } } when auth.mode is basic');
  }
  if ('header' in inject && ['host', 'content-length', 'transfer-encoding', 'connection'].includes(inject.header.toLowerCase())) {
    report('/api/inject/header', `must not be ${inject.header}, which describes the connection rather than the credentials`);
  }

  const templates: Array<[string, string]> =
    'basic' in inject
      ? [
          ['/api/inject/basic/username', inject.basic.username],
          ['/api/inject/basic/password', inject.basic.password],
        ]
      : [['/api/inject/value', inject.value]];
  let usesAccessToken = false;
  let usesSecretField = false;

  for (const [at, template] of templates) {
    let parts: TemplatePart[];
    try {
      parts = parseTemplate(template);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      report(at, error.message);
      continue;
    }

    const unsafe = checkHeaderSafe(template, 'The template');
    if (unsafe) report(at, unsafe);
    if (at === '/api/inject/basic/username' && parts.some((part) => part.kind === 'literal' && part.text.includes(':'))) {
      report(at, 'must not contain ":", which separates the user name from the password in HTTP Basic');
    }

    for (const part of parts) {
      if (part.kind !== 'placeholder') continue;
      if (part.name === ACCESS_TOKEN_PLACEHOLDER) {
        if (oauth) usesAccessToken = true;
        else report(at, `uses {${ACCESS_TOKEN_PLACEHOLDER}}, which exists only when auth.mode is oauth2 or oauth2_client_credentials`);
        continue;
      }
      const field = fields.find((candidate) => candidate.name === part.name);
      if (!field) report(at, `uses {${part.name}}, which is not a declared field`);
      else if (field.secret === true) usesSecretField = true;
    }
  }

  if (oauth && !usesAccessToken) report('/api/inject', `must use {${ACCESS_TOKEN_PLACEHOLDER}}, or the access token is never sent`);
  if (mode === 'api_key' && !usesSecretField) report('/api/inject', 'must use a secret field, or the API key is never sent');
}

function checkVerifyPath(path: string, report: Report): void {
  if (path.includes('{') || path.includes('}')) {
    report('/verify/path', 'must not contain placeholders');
    return;
  }
  const problem = findRequestPathProblem(path);
  if (problem) report('/verify/path', problem);
}

function checkHttpsUrl(at: string, value: string, report: Report): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    report(at, 'must be an absolute https URL');
    return;
  }
  if (url.protocol !== 'https:') report(at, 'must use https');
  if (url.username !== '' || url.password !== '') report(at, 'must not contain a user name or password');
}

/** Escapes a key for use as one segment of a JSON pointer (RFC 6901, section 3). */
export function escapePointer(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}
