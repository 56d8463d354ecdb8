/** A response read whole: status, headers, body text and the redirect target if any. */
export interface PageResponse {
  status: number;
  headers: Headers;
  text: string;
  location: string | null;
}

/**
 * A minimal browser for hosted-page tests: keeps cookies per origin, never follows
 * redirects by itself, and submits forms as `application/x-www-form-urlencoded`.
 */
export class BrowserClient {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly baseUrl: string) {}

  async get(pathOrUrl: string, options: { method?: 'GET' | 'HEAD' } = {}): Promise<PageResponse> {
    return this.request(pathOrUrl, { method: options.method ?? 'GET' });
  }

  async post(pathOrUrl: string, form: Record<string, string>): Promise<PageResponse> {
    return this.request(pathOrUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }

  /** Returns the value of a cookie this client holds. */
  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** Copies another client's cookies, as a second tab of the same browser would share them. */
  shareCookiesFrom(other: BrowserClient): void {
    for (const [name, value] of other.cookies) this.cookies.set(name, value);
  }

  private async request(pathOrUrl: string, init: RequestInit): Promise<PageResponse> {
    const url = new URL(pathOrUrl, this.baseUrl);
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0 && url.origin === new URL(this.baseUrl).origin) {
      headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    }
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const header of response.headers.getSetCookie()) {
      const [pair = ''] = header.split(';');
      const separator = pair.indexOf('=');
      this.cookies.set(pair.slice(0, separator).trim(), pair.slice(separator + 1).trim());
    }
    return { status: response.status, headers: response.headers, text: await response.text(), location: response.headers.get('location') };
  }
}

/** Extracts the value of a hidden input from a page. */
export function hiddenValue(html: string, name: string): string {
  const match = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(html);
  if (match?.[1] === undefined) {
    throw new Error(`no hidden input named ${name} in the page`);
  }
  return match[1];
}

/** Replaces the request id in a page, so two pages can be compared byte for byte. */
export function withoutRequestId(html: string): string {
  return html.replace(/req_[A-Za-z0-9_-]+/g, 'req_X');
}
