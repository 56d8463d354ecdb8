import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createCheckedLookup, createGuardedFetch, findNonPublicRange, OutboundRequestError } from './guarded-fetch.ts';

interface LoopbackServer {
  port: number;
  connections: () => number;
  requests: string[];
  close: () => Promise<void>;
}

// Responds to /redirect with a 302 to /target, to /hang never, and to anything else with 200 "ok".
async function startLoopbackServer(): Promise<LoopbackServer> {
  let connectionCount = 0;
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    requests.push(request.url ?? '');
    if (request.url === '/redirect') {
      response.writeHead(302, { location: '/target' });
      response.end();
      return;
    }
    if (request.url === '/hang') {
      return;
    }
    response.end('ok');
  });
  server.on('connection', () => {
    connectionCount += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connectionCount,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// A resolver that returns fixed addresses for every name and never queries DNS.
function fixedLookup(addresses: LookupAddress[], calls: string[] = []): LookupFunction {
  return (hostname, options, callback) => {
    calls.push(hostname);
    if (options.all === true) {
      callback(null, addresses);
    } else {
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    }
  };
}

async function captureError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('Expected the promise to reject.');
}

describe('findNonPublicRange', () => {
  it.each([
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fd00::1', 'unique local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::a00:1', 'NAT64'],
    ['2001:db8::1', 'reserved'],
    ['not-an-address', 'unparsable'],
  ])('classifies %s as %s', (address, expected) => {
    expect(findNonPublicRange(address)).toBe(expected);
  });

  it.each(['8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('accepts public address %s', (address) => {
    expect(findNonPublicRange(address)).toBeNull();
  });
});

describe('createCheckedLookup', () => {
  function runLookup(lookup: LookupFunction, all: boolean): Promise<{ error: unknown; result: unknown }> {
    return new Promise((resolve) => {
      lookup('api.example.test', { all }, (error, result) => resolve({ error, result }));
    });
  }

  it('rejects a mixed answer with one private address', async () => {
    const inner = fixedLookup([
      { address: '8.8.8.8', family: 4 },
      { address: '10.0.0.1', family: 4 },
    ]);

    const { error } = await runLookup(createCheckedLookup(inner, false), true);

    expect(error).toBeInstanceOf(OutboundRequestError);
    expect((error as OutboundRequestError).code).toBe('outbound_address_refused');
    expect((error as OutboundRequestError).message).toContain('10.0.0.1 is a private address');
  });

  it('returns one address when the socket asks for one', async () => {
    const calls: string[] = [];
    const inner = fixedLookup([{ address: '8.8.8.8', family: 4 }], calls);

    const { error, result } = await runLookup(createCheckedLookup(inner, false), false);

    expect(error).toBeNull();
    expect(result).toBe('8.8.8.8');
    expect(calls).toEqual(['api.example.test']);
  });

  it('passes private addresses when allowed', async () => {
    const inner = fixedLookup([{ address: '10.0.0.1', family: 4 }]);

    const { error, result } = await runLookup(createCheckedLookup(inner, true), true);

    expect(error).toBeNull();
    expect(result).toEqual([{ address: '10.0.0.1', family: 4 }]);
  });
});

describe('createGuardedFetch', () => {
  let server: LoopbackServer;

  beforeAll(async () => {
    server = await startLoopbackServer();
  });

  afterAll(async () => {
    await server.close();
  });

  it('rejects localhost without connecting', async () => {
    const guardedFetch = createGuardedFetch({ allowPrivateNetwork: false });
    const connectionsBefore = server.connections();

    const error = await captureError(guardedFetch(`http://localhost:${server.port}/`));

    expect(error).toBeInstanceOf(OutboundRequestError);
    expect((error as OutboundRequestError).code).toBe('outbound_address_refused');
    expect((error as OutboundRequestError).host).toBe('localhost');
    expect((error as OutboundRequestError).message).toMatch(/^Outbound request to localhost rejected: .* is a loopback address\./);
    expect(server.connections()).toBe(connectionsBefore);
  });

  it.each(['127.0.0.1', '[::1]', '[::ffff:127.0.0.1]'])('rejects the IP literal %s without connecting', async (host) => {
    const guardedFetch = createGuardedFetch({ allowPrivateNetwork: false });
    const connectionsBefore = server.connections();

    const error = await captureError(guardedFetch(`http://${host}:${server.port}/`));

    expect(error).toBeInstanceOf(OutboundRequestError);
    expect((error as OutboundRequestError).code).toBe('outbound_address_refused');
    expect((error as OutboundRequestError).message).toContain('loopback address');
    expect(server.connections()).toBe(connectionsBefore);
  });

  it('allows loopback when private networks are allowed', async () => {
    const guardedFetch = createGuardedFetch({ allowPrivateNetwork: true });

    const response = await guardedFetch(`http://localhost:${server.port}/allowed`);

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
    expect(server.requests).toContain('/allowed');
  });

  it('rejects private addresses from DNS without connecting', async () => {
    // Check first that the guard sits on the connection path at all, so that a broken guard
    // fails here on loopback instead of connecting to the addresses below.
    const loopbackError = await captureError(
      createGuardedFetch({ allowPrivateNetwork: false, lookup: fixedLookup([{ address: '127.0.0.1', family: 4 }]) })(
        `http://wiring-check.example.test:${server.port}/`,
      ),
    );
    expect((loopbackError as OutboundRequestError).code).toBe('outbound_address_refused');

    const cases: Array<[string, number, string]> = [
      ['10.0.0.1', 4, 'private'],
      ['fd00::1', 6, 'unique local'],
      ['::ffff:127.0.0.1', 6, 'loopback'],
      ['169.254.169.254', 4, 'link-local'],
    ];
    for (const [address, family, rangeName] of cases) {
      const calls: string[] = [];
      const guardedFetch = createGuardedFetch({ allowPrivateNetwork: false, lookup: fixedLookup([{ address, family }], calls) });
      const connectionsBefore = server.connections();

      const error = await captureError(guardedFetch(`http://internal.example.test:${server.port}/`));

      expect(error, address).toBeInstanceOf(OutboundRequestError);
      expect((error as OutboundRequestError).code, address).toBe('outbound_address_refused');
      expect((error as OutboundRequestError).message, address).toBe(
        `Outbound request to internal.example.test rejected: ${address} is a ${rangeName} address. ` +
          'Only connector definitions marked allowPrivateNetwork may reach non-public addresses.',
      );
      expect(calls, address).toEqual(['internal.example.test']);
      expect(server.connections(), address).toBe(connectionsBefore);
    }
  });

  it.each(['file:///etc/passwd', 'ftp://127.0.0.1/file', 'data:text/plain,hello'])('rejects the URL %s by scheme', async (url) => {
    const guardedFetch = createGuardedFetch({ allowPrivateNetwork: true });

    const error = await captureError(guardedFetch(url));

    expect(error).toBeInstanceOf(OutboundRequestError);
    expect((error as OutboundRequestError).code).toBe('outbound_scheme_refused');
    expect((error as OutboundRequestError).message).toBe(
      `Outbound request rejected: the scheme ${new URL(url).protocol} is not allowed. Use https: or http:.`,
    );
  });

  it('never follows redirects', async () => {
    const guardedFetch = createGuardedFetch({ allowPrivateNetwork: true });
    const requestsBefore = server.requests.length;

    const response = await guardedFetch(`http://127.0.0.1:${server.port}/redirect`, { redirect: 'follow' });

    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/target');
    expect(server.requests.slice(requestsBefore)).toEqual(['/redirect']);
  });

  it('times out a request without response', async () => {
    const guardedFetch = createGuardedFetch({ allowPrivateNetwork: true, timeoutMs: 200 });

    const error = await captureError(guardedFetch(`http://127.0.0.1:${server.port}/hang`));

    expect(error).toBeInstanceOf(OutboundRequestError);
    expect((error as OutboundRequestError).code).toBe('outbound_timeout');
    expect((error as OutboundRequestError).message).toBe('Outbound request to 127.0.0.1 timed out after 200 ms.');
  });

  it('reports a refused connection as failed', async () => {
    const closed = await startLoopbackServer();
    await closed.close();
    const guardedFetch = createGuardedFetch({ allowPrivateNetwork: true });

    const error = await captureError(guardedFetch(`http://127.0.0.1:${closed.port}/`));

    expect(error).toBeInstanceOf(OutboundRequestError);
    expect((error as OutboundRequestError).code).toBe('outbound_request_failed');
    expect((error as OutboundRequestError).message).toBe('Outbound request to 127.0.0.1 failed (ECONNREFUSED).');
  });

  it('propagates an abort by the caller', async () => {
    const guardedFetch = createGuardedFetch({ allowPrivateNetwork: true });
    const controller = new AbortController();
    const pending = guardedFetch(`http://127.0.0.1:${server.port}/hang`, { signal: controller.signal });
    controller.abort();

    const error = await captureError(pending);

    expect(error).not.toBeInstanceOf(OutboundRequestError);
    expect((error as Error).name).toBe('AbortError');
  });
});
