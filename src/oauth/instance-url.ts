import { isIP } from 'node:net';

/**
 * Tests whether `hostname` matches a host pattern such as `*.my.salesforce.com`.
 * A `*` label matches exactly one DNS label, and other labels compare case-insensitively.
 */
export function matchesHostPattern(hostname: string, pattern: string): boolean {
  const hostLabels = hostname.toLowerCase().replace(/\.$/, '').split('.');
  const patternLabels = pattern.toLowerCase().split('.');
  if (hostLabels.length !== patternLabels.length) {
    return false;
  }

  return patternLabels.every((label, index) => {
    const hostLabel = hostLabels[index];
    if (hostLabel === undefined || hostLabel === '') {
      return false;
    }
    return label === '*' || label === hostLabel;
  });
}

/**
 * Checks an instance URL taken from a token response, such as Salesforce's `instance_url`,
 * and returns it without a trailing slash.
 *
 * The token response decides where later API calls and credentials go, so the URL must use
 * https, carry no user name, password, query or fragment, not be an IP literal, and have a host
 * that matches one of `allowedHosts`. Returns a reason string instead of the URL when a check fails.
 */
export function checkInstanceUrl(value: unknown, allowedHosts: readonly string[]): { url: string } | { reason: string } {
  if (typeof value !== 'string' || value === '') {
    return { reason: 'is missing or not a string' };
  }

  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { reason: 'is not a valid URL' };
  }

  if (url.protocol !== 'https:') {
    return { reason: `must use https, not ${url.protocol}` };
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    return { reason: 'must not contain credentials, a query or a fragment' };
  }

  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (isIP(hostname) !== 0) {
    return { reason: `has the IP address ${hostname} as host, a host name is required` };
  }
  if (!allowedHosts.some((pattern) => matchesHostPattern(hostname, pattern))) {
    return { reason: `has the host ${hostname}, which matches none of the allowed instance hosts` };
  }

  const path = url.pathname.replace(/\/+$/, '');
  return { url: `${url.origin}${path}` };
}
