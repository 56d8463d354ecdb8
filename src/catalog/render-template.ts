import ipaddr from 'ipaddr.js';

/** One piece of a template: literal text, or a `{name}` placeholder. */
export type TemplatePart = { kind: 'literal'; text: string } | { kind: 'placeholder'; name: string };

/** A URL template split into the pieces that rendering keeps fixed and the pieces it fills in. */
export interface UrlTemplate {
  scheme: 'http' | 'https';
  host: TemplatePart[];
  /** Literal host text after the last host placeholder, such as `.atlassian.net` or `-api.acme.example`. It is empty when the host has no placeholder. */
  hostSuffix: string;
  /** Literal port digits, or an empty string when the template has no port. */
  port: string;
  /** Path and optional literal query after the host. */
  rest: TemplatePart[];
}

/** Options of {@link renderUrlTemplate}. */
export interface RenderUrlConfig {
  /** When false, IP literals and `localhost` names are rejected as hosts. */
  allowPrivateNetwork: boolean;
}

/**
 * Error raised for a malformed template (`invalid_template`) or a value that cannot be
 * placed in one (`invalid_template_value`). Messages name the placeholder and never the value.
 */
export class TemplateError extends Error {
  readonly code: 'invalid_template' | 'invalid_template_value';
  readonly placeholder: string | undefined;

  constructor(code: TemplateError['code'], message: string, placeholder?: string) {
    super(message);
    this.name = 'TemplateError';
    this.code = code;
    this.placeholder = placeholder;
  }
}

const PLACEHOLDER_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const HOST_VALUE = /^[A-Za-z0-9._-]+$/;
// Literal text after the last host placeholder: the rest of that label, then at least two whole labels.
const HOST_SUFFIX = /^[A-Za-z0-9-]*(\.[A-Za-z0-9-]+){2,}$/;
const URL_TEMPLATE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s;

/** Splits a template into literal text and `{name}` placeholders, raising `invalid_template` on stray braces. */
export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let index = 0;

  while (index < template.length) {
    const open = template.indexOf('{', index);
    const close = template.indexOf('}', index);
    if (close !== -1 && (open === -1 || close < open)) {
      throw new TemplateError('invalid_template', `The template has a "}" without a matching "{" at position ${close + 1}.`);
    }
    if (open === -1) {
      parts.push({ kind: 'literal', text: template.slice(index) });
      break;
    }
    if (open > index) parts.push({ kind: 'literal', text: template.slice(index, open) });

    const end = template.indexOf('}', open);
    if (end === -1) {
      throw new TemplateError('invalid_template', `The template has a "{" without a matching "}" at position ${open + 1}.`);
    }
    const name = template.slice(open + 1, end);
    if (!PLACEHOLDER_NAME.test(name)) {
      throw new TemplateError(
        'invalid_template',
        `The template has an invalid placeholder at position ${open + 1}: a placeholder is a field name in braces, such as {subdomain}.`,
      );
    }
    parts.push({ kind: 'placeholder', name });
    index = end + 1;
  }

  return parts;
}

/** Returns the distinct placeholder names of a template in order of first use. */
export function listTemplatePlaceholders(template: string): string[] {
  const names = parseTemplate(template).flatMap((part) => (part.kind === 'placeholder' ? [part.name] : []));
  return [...new Set(names)];
}

/**
 * Parses a URL template such as `https://{subdomain}.acme.example/api/{version}`.
 *
 * Placeholders may appear in the host and the path only, never in the scheme, port,
 * user information, query or fragment. A host with placeholders must end with a literal
 * suffix of at least two labels, so a value can choose a subdomain but never the domain.
 */
export function parseUrlTemplate(template: string): UrlTemplate {
  const match = URL_TEMPLATE.exec(template);
  if (!match) {
    throw new TemplateError('invalid_template', 'The URL template must be an absolute http or https URL, such as https://api.example.com.');
  }
  const scheme = match[1]!.toLowerCase();
  const authority = match[2]!;
  const restText = match[3]!;

  if (scheme !== 'http' && scheme !== 'https') {
    throw new TemplateError('invalid_template', `The URL template must use http or https, not ${scheme}.`);
  }
  if (authority.includes('@')) {
    throw new TemplateError('invalid_template', 'The URL template must not contain a user name or password.');
  }

  const { hostText, port } = splitAuthority(authority);
  const host = parseTemplate(hostText);
  const hostSuffix = findHostSuffix(host);
  const rest = parseTemplate(restText);
  checkRest(rest);

  return { scheme, host, hostSuffix, port, rest };
}

function splitAuthority(authority: string): { hostText: string; port: string } {
  // An IPv6 literal contains colons of its own, so the port starts after the closing bracket.
  const portStart = authority.startsWith('[') ? authority.indexOf(':', authority.indexOf(']')) : authority.lastIndexOf(':');
  const hostText = portStart === -1 ? authority : authority.slice(0, portStart);
  const port = portStart === -1 ? '' : authority.slice(portStart + 1);

  if (hostText === '') {
    throw new TemplateError('invalid_template', 'The URL template has no host.');
  }
  if (port !== '' && !/^[0-9]{1,5}$/.test(port)) {
    throw new TemplateError('invalid_template', 'The port of a URL template must be literal digits, without placeholders.');
  }
  return { hostText, port };
}

function findHostSuffix(host: TemplatePart[]): string {
  let lastPlaceholder = -1;
  host.forEach((part, index) => {
    if (part.kind === 'placeholder') lastPlaceholder = index;
  });
  if (lastPlaceholder === -1) return '';

  const suffix = host
    .slice(lastPlaceholder + 1)
    .map((part) => (part.kind === 'literal' ? part.text : ''))
    .join('');
  if (!HOST_SUFFIX.test(suffix)) {
    throw new TemplateError(
      'invalid_template',
      'A host with placeholders must end with a literal domain of at least two labels after the last placeholder, such as {subdomain}.acme.example or {region}-api.acme.example.',
    );
  }
  return suffix;
}

function checkRest(rest: TemplatePart[]): void {
  const first = rest[0];
  if (first && !(first.kind === 'literal' && /^[/?]/.test(first.text))) {
    throw new TemplateError('invalid_template', 'The path of a URL template must start with "/".');
  }

  let inQuery = false;
  for (const part of rest) {
    if (part.kind === 'placeholder') {
      if (inQuery) {
        throw new TemplateError(
          'invalid_template',
          `The placeholder {${part.name}} is in the query, but placeholders are allowed in the host and path only.`,
          part.name,
        );
      }
      continue;
    }
    if (part.text.includes('#')) {
      throw new TemplateError('invalid_template', 'The URL template must not contain a fragment ("#").');
    }
    if (part.text.includes('?')) inQuery = true;
  }
}

/**
 * Renders a URL template with validated field values and returns the URL.
 *
 * The rendered URL keeps the template's scheme, port and host suffix. Host values may
 * contain only letters, digits, `.`, `-` and `_`, and path values are percent-encoded
 * and may not be `.` or `..`, so no value can change the host or climb the path. Unless
 * `allowPrivateNetwork` is set, IP literals and `localhost` names are rejected. Names
 * that resolve to private addresses are not detected here, because that needs a DNS
 * lookup at request time.
 */
export function renderUrlTemplate(template: string, values: Record<string, string>, options: RenderUrlConfig): URL {
  const parsed = parseUrlTemplate(template);
  const host = renderParts(parsed.host, values, encodeHostValue);
  const rest = renderParts(parsed.rest, values, encodePathValue);
  const port = parsed.port === '' ? '' : `:${parsed.port}`;

  let url: URL;
  try {
    url = new URL(`${parsed.scheme}://${host}${port}${rest}`);
  } catch {
    throw new TemplateError(
      'invalid_template_value',
      `The URL built from the template ${template} is not a valid URL. Check the values of its placeholders.`,
    );
  }

  if (url.protocol !== `${parsed.scheme}:` || url.username !== '' || url.password !== '') {
    throw new TemplateError(
      'invalid_template_value',
      `The URL built from the template ${template} changed its scheme or gained user information.`,
    );
  }
  if (parsed.hostSuffix !== '' && !url.hostname.endsWith(parsed.hostSuffix.toLowerCase())) {
    throw new TemplateError(
      'invalid_template_value',
      `The host built from the template ${template} does not end with ${parsed.hostSuffix}.`,
    );
  }
  if (!options.allowPrivateNetwork) checkPublicHost(url, template);

  return url;
}

function checkPublicHost(url: URL, template: string): void {
  const hostname = url.hostname.replace(/\.$/, '');
  const unbracketed = hostname.replace(/^\[(.*)\]$/, '$1');

  if (hostname.startsWith('[') || ipaddr.isValid(unbracketed)) {
    throw new TemplateError(
      'invalid_template_value',
      `The host built from the template ${template} is an IP address, which is allowed only when the connector sets allowPrivateNetwork: true.`,
    );
  }
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
    throw new TemplateError(
      'invalid_template_value',
      `The host built from the template ${template} is a localhost name, which is allowed only when the connector sets allowPrivateNetwork: true.`,
    );
  }
}

function encodeHostValue(name: string, value: string): string {
  if (value === '') {
    throw new TemplateError('invalid_template_value', `The value for {${name}} is empty.`, name);
  }
  if (!HOST_VALUE.test(value)) {
    throw new TemplateError(
      'invalid_template_value',
      `The value for {${name}} may contain only letters, digits, ".", "-" and "_", because it becomes part of a host name.`,
      name,
    );
  }
  if (value.startsWith('.') || value.endsWith('.') || value.includes('..')) {
    throw new TemplateError('invalid_template_value', `The value for {${name}} must not start or end with "." or contain "..".`, name);
  }
  return value;
}

function encodePathValue(name: string, value: string): string {
  if (value === '' || value === '.' || value === '..') {
    throw new TemplateError(
      'invalid_template_value',
      `The value for {${name}} must not be empty, "." or "..", because it becomes a path segment.`,
      name,
    );
  }
  return encodeURIComponent(value);
}

function renderParts(parts: TemplatePart[], values: Record<string, string>, encode: (name: string, value: string) => string): string {
  return parts
    .map((part) => {
      if (part.kind === 'literal') return part.text;
      return encode(part.name, lookUpValue(values, part.name));
    })
    .join('');
}

function lookUpValue(values: Record<string, string>, name: string): string {
  const value = Object.hasOwn(values, name) ? values[name] : undefined;
  if (typeof value !== 'string') {
    throw new TemplateError('invalid_template_value', `No value was given for {${name}}.`, name);
  }
  return value;
}

/**
 * Renders a value template such as `Bearer {accessToken}` by plain substitution.
 * The caller checks the result for the place it goes, such as an HTTP header.
 */
export function renderValueTemplate(template: string, values: Record<string, string>): string {
  return renderParts(parseTemplate(template), values, (_name, value) => value);
}
