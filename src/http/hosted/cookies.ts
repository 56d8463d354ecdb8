import type { FastifyReply, FastifyRequest } from 'fastify';

import { createOpaqueSecret } from '../../crypto/random-id.ts';

/** Names and flags of the hosted pages' cookies, which depend on whether the public URL is HTTPS. */
export class HostedCookies {
  readonly secure: boolean;
  readonly sessionName: string;
  readonly csrfName: string;

  constructor(
    publicUrl: string,
    private readonly sessionSeconds: number,
  ) {
    this.secure = publicUrl.startsWith('https://');
    // The __Host- prefix makes browsers refuse the cookie unless it is Secure, has Path=/ and no Domain.
    this.sessionName = this.secure ? '__Host-lk_session' : 'lk_session';
    this.csrfName = this.secure ? '__Host-lk_csrf' : 'lk_csrf';
  }

  readSession(request: FastifyRequest): string | undefined {
    return request.cookies[this.sessionName];
  }

  setSession(reply: FastifyReply, secret: string): void {
    reply.setCookie(this.sessionName, secret, { ...this.flags(), maxAge: this.sessionSeconds });
  }

  /** Returns the CSRF value of the browser, setting a new cookie when it has none. */
  ensureCsrf(request: FastifyRequest, reply: FastifyReply): string {
    const existing = this.readCsrf(request);
    if (existing !== undefined) {
      return existing;
    }
    const value = createOpaqueSecret();
    reply.setCookie(this.csrfName, value, { ...this.flags(), maxAge: 24 * 60 * 60 });
    return value;
  }

  /** Returns the browser's CSRF cookie when it has the form this server sets, 256 bits in base64url. */
  readCsrf(request: FastifyRequest): string | undefined {
    const value = request.cookies[this.csrfName];
    return value !== undefined && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
  }

  private flags() {
    return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: this.secure };
  }
}
