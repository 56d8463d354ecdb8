import { lookup as systemLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';

import ipaddr from 'ipaddr.js';
import { Agent, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';

/** Maximum time in ms for one outbound request, from DNS lookup to the last byte of the body. */
export const DEFAULT_OUTBOUND_TIMEOUT_MS = 10_000;

/** Stable codes of {@link OutboundRequestError}. */
export type OutboundRequestErrorCode =
  'outbound_address_refused' | 'outbound_scheme_refused' | 'outbound_timeout' | 'outbound_request_failed';

/**
 * Error of an outbound request that the guard rejected or that failed on the network.
 * The message names the host and never a header, body or query value.
 */
export class OutboundRequestError extends Error {
  override readonly name = 'OutboundRequestError';
  readonly code: OutboundRequestErrorCode;
  readonly host: string;

  constructor(code: OutboundRequestErrorCode, host: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.host = host;
  }
}

/** Options of {@link createGuardedFetch}. */
export interface GuardedFetchConfig {
  /** Allows private, loopback and other non-public addresses. Set it only for self-hosted APIs. */
  allowPrivateNetwork: boolean;
  /** DNS resolver, by default `dns.lookup`. It is called with `all: true` and must honour it. */
  lookup?: LookupFunction;
  /** Maximum time in ms for the whole request including the body, by default {@link DEFAULT_OUTBOUND_TIMEOUT_MS}. */
  timeoutMs?: number;
}

// Readable names of the ipaddr.js ranges, for error messages.
const RANGE_NAMES: Readonly<Record<string, string>> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT',
  private: 'private',
  uniqueLocal: 'unique local',
  reserved: 'reserved',
  benchmarking: 'benchmarking',
  rfc6052: 'NAT64',
  rfc6145: 'IPv4-translated',
  '6to4': '6to4 relay',
  teredo: 'Teredo',
};

/**
 * Classifies an IP address, reading an IPv4-mapped IPv6 address as the IPv4 address it carries.
 * Returns `null` for a public unicast address, otherwise a readable name of its range.
 */
export function findNonPublicRange(address: string): string | null {
  if (!ipaddr.isValid(address)) {
    return 'unparsable';
  }

  const range = ipaddr.process(address).range();
  if (range === 'unicast') {
    return null;
  }

  return RANGE_NAMES[range] ?? range;
}

function rejectAddress(host: string, address: string, rangeName: string): OutboundRequestError {
  return new OutboundRequestError(
    'outbound_address_refused',
    host,
    `Outbound request to ${host} rejected: ${address} is a ${rangeName} address. ` +
      'Only connector definitions marked allowPrivateNetwork may reach non-public addresses.',
  );
}

/**
 * Wraps a DNS lookup so that it fails with {@link OutboundRequestError} when any resolved
 * address is non-public, unless `allowPrivateNetwork` is set. The socket then connects to exactly
 * the addresses that passed, so the DNS answer cannot change between check and connect.
 */
export function createCheckedLookup(lookup: LookupFunction, allowPrivateNetwork: boolean): LookupFunction {
  return (hostname, options, callback) => {
    // Resolve every address even when the socket requests one, so that a mixed DNS response
    // with one private address is rejected as a whole.
    lookup(hostname, { ...options, all: true }, (error, result) => {
      if (error) {
        callback(error, '');
        return;
      }

      const addresses: LookupAddress[] = typeof result === 'string' ? [{ address: result, family: isIP(result) }] : result;
      const first = addresses[0];
      if (first === undefined) {
        callback(new OutboundRequestError('outbound_request_failed', hostname, `DNS lookup of ${hostname} returned no address.`), '');
        return;
      }

      if (!allowPrivateNetwork) {
        for (const { address } of addresses) {
          const rangeName = findNonPublicRange(address);
          if (rangeName !== null) {
            callback(rejectAddress(hostname, address, rangeName), '');
            return;
          }
        }
      }

      if (options.all === true) {
        callback(null, addresses);
      } else {
        callback(null, first.address, first.family);
      }
    });
  };
}

// `new URL('http://[::1]/').hostname` keeps the brackets, `net.isIP` does not accept them.
function stripIpv6Brackets(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

function findOutboundRequestError(error: unknown): OutboundRequestError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    if (current instanceof OutboundRequestError) {
      return current;
    }
    current = current.cause;
  }
  return undefined;
}

// undici wraps network failures in `TypeError('fetch failed')`; the system error code such as
// ECONNREFUSED sits further down the cause chain.
function findSystemErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code)) {
      return code;
    }
    current = current.cause;
  }
  return undefined;
}

function splitRequest(input: string | URL | Request, init: RequestInit | undefined): { url: URL; init: RequestInit } {
  if (input instanceof Request) {
    const fromRequest: RequestInit & { duplex?: 'half' } = {
      method: input.method,
      headers: input.headers,
      signal: input.signal,
    };
    if (input.body !== null) {
      fromRequest.body = input.body;
      fromRequest.duplex = 'half';
    }
    return { url: new URL(input.url), init: { ...fromRequest, ...init } };
  }

  return { url: new URL(input), init: init ?? {} };
}

/**
 * Creates a `fetch` for outbound token, verification, refresh and proxy requests that only
 * reaches public addresses unless `allowPrivateNetwork` is set.
 *
 * The host is resolved by DNS and every address is checked with ipaddr.js before the socket
 * connects to it. IP literals in the URL are checked the same way. Redirects are never followed
 * (`redirect: 'manual'` whatever the caller passes), because a redirect could carry credentials
 * to another host. Only `http:` and `https:` URLs are accepted.
 *
 * Rejections and failures throw {@link OutboundRequestError}. An abort by the caller's own
 * signal propagates unchanged. The timeout also covers reading the body, which then fails with
 * a `TimeoutError` DOMException from the body stream.
 */
export function createGuardedFetch(config: GuardedFetchConfig): typeof fetch {
  const timeoutMs = config.timeoutMs ?? DEFAULT_OUTBOUND_TIMEOUT_MS;
  const lookup = createCheckedLookup(config.lookup ?? (systemLookup as LookupFunction), config.allowPrivateNetwork);
  const dispatcher = new Agent({ connect: { lookup } });

  return async function guardedFetch(input: string | URL | Request, requestInit?: RequestInit): Promise<Response> {
    const { url, init } = splitRequest(input, requestInit);
    const host = url.hostname;

    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new OutboundRequestError(
        'outbound_scheme_refused',
        host,
        `Outbound request rejected: the scheme ${url.protocol} is not allowed. Use https: or http:.`,
      );
    }

    // The socket skips DNS lookup for an IP literal, so the checked lookup is never called for it.
    const literal = stripIpv6Brackets(host);
    if (!config.allowPrivateNetwork && isIP(literal) !== 0) {
      const rangeName = findNonPublicRange(literal);
      if (rangeName !== null) {
        throw rejectAddress(host, literal, rangeName);
      }
    }

    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;

    try {
      const response = await undiciFetch(url, {
        ...(init as UndiciRequestInit),
        redirect: 'manual',
        signal,
        dispatcher,
      });
      // undici's Response implements the same interface as the global one.
      return response as unknown as Response;
    } catch (error) {
      const guardError = findOutboundRequestError(error);
      if (guardError !== undefined) {
        throw guardError;
      }

      if (timeout.aborted && !init.signal?.aborted) {
        throw new OutboundRequestError('outbound_timeout', host, `Outbound request to ${host} timed out after ${timeoutMs} ms.`, {
          cause: error,
        });
      }

      if (init.signal?.aborted) {
        throw error;
      }

      const systemCode = findSystemErrorCode(error);
      const detail = systemCode === undefined ? '' : ` (${systemCode})`;
      throw new OutboundRequestError('outbound_request_failed', host, `Outbound request to ${host} failed${detail}.`, {
        cause: error,
      });
    }
  };
}

// One guarded fetch per network policy, so that connections to a provider are reused.
const sharedFetches = new Map<boolean, typeof fetch>();

/** Returns the process-wide guarded fetch for a network policy, with the default lookup and timeout. */
export function getSharedGuardedFetch(allowPrivateNetwork: boolean): typeof fetch {
  let guardedFetch = sharedFetches.get(allowPrivateNetwork);
  if (guardedFetch === undefined) {
    guardedFetch = createGuardedFetch({ allowPrivateNetwork });
    sharedFetches.set(allowPrivateNetwork, guardedFetch);
  }
  return guardedFetch;
}
