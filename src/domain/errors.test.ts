import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { ERROR_CATALOG } from './errors.ts';

const documentation = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const documented = new Map([...documentation.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((match) => [match[1]!, Number(match[2])]));

describe('error catalog', () => {
  it('documents every code with its status', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOG)) {
      expect(documented.get(code), code).toBe(entry.status);
    }
  });

  it('documents no code that the catalog lacks', () => {
    for (const code of documented.keys()) {
      expect(Object.keys(ERROR_CATALOG), code).toContain(code);
    }
  });

  it('uses snake_case codes', () => {
    for (const code of Object.keys(ERROR_CATALOG)) {
      expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
    }
  });
});
