import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CatalogError, ConnectorNotFoundError, DEFAULT_CONNECTORS_DIRECTORY, loadCatalog } from './load-catalog.ts';

const VALID_DEFINITION = `
id: acme-keys
name: Acme Keys
auth: { mode: api_key }
fields:
  - { name: apiKey, label: API key, secret: true }
api:
  baseUrl: https://api.acme.example
  inject: { header: X-Api-Key, value: "{apiKey}" }
`;

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'latchkey-catalog-'));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function writeDefinition(name: string, text: string, into = directory): Promise<string> {
  const file = path.join(into, name);
  await writeFile(file, text);
  return file;
}

async function loadError(directories: string[]): Promise<CatalogError> {
  const error = await loadCatalog(directories).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(CatalogError);
  return error as CatalogError;
}

describe('loadCatalog', () => {
  it('loads the shipped connectors', async () => {
    const catalog = await loadCatalog([DEFAULT_CONNECTORS_DIRECTORY]);

    const ids = catalog.list().map((definition) => definition.id);
    expect(ids).toEqual(['airtable', 'github', 'jira-cloud', 'stripe']);
    for (const definition of catalog.list()) {
      expect(definition.docsUrl, definition.id).toMatch(/^https:\/\//);
      expect(definition.source, definition.id).toBe(path.join(DEFAULT_CONNECTORS_DIRECTORY, `${definition.id}.yaml`));
    }
  });

  it('ships one connector of each required mode', async () => {
    const catalog = await loadCatalog([DEFAULT_CONNECTORS_DIRECTORY]);

    const airtable = catalog.get('airtable');
    expect(airtable.auth.mode).toBe('oauth2');
    expect(airtable.auth.pkce).toBe(true);
    expect(catalog.get('stripe').auth.mode).toBe('api_key');
    const jira = catalog.get('jira-cloud');
    expect(jira.auth.mode).toBe('basic');
    expect(jira.fields.map((field) => field.name)).toContain('subdomain');
  });

  it('loads a valid file from a directory', async () => {
    const file = await writeDefinition('acme.yaml', VALID_DEFINITION);

    const catalog = await loadCatalog([directory]);

    expect(catalog.get('acme-keys').source).toBe(file);
    expect(catalog.find('acme-keys')?.name).toBe('Acme Keys');
  });

  it('skips files that are not YAML and hidden files', async () => {
    await writeDefinition('acme.yml', VALID_DEFINITION);
    await writeDefinition('README.md', '# not a definition');
    await writeDefinition('.acme.yaml', 'not: [valid');

    const catalog = await loadCatalog([directory]);

    expect(catalog.list().map((definition) => definition.id)).toEqual(['acme-keys']);
  });

  it('names the file and the field of a problem', async () => {
    const file = await writeDefinition('acme.yaml', VALID_DEFINITION.replace('name: Acme Keys', 'name: 42'));

    const error = await loadError([directory]);

    expect(error.code).toBe('invalid_connector_definition');
    expect(error.problems).toEqual([{ file, field: '/name', reason: 'must be a string' }]);
    expect(error.message).toContain(`${file}: /name: must be a string`);
  });

  it('reports the problems of several files together', async () => {
    const badType = await writeDefinition('a-bad-type.yaml', VALID_DEFINITION.replace('name: Acme Keys', 'name: Acme Keys\ncolour: blue'));
    const badYaml = await writeDefinition('b-bad-yaml.yaml', 'id: [unclosed\n');
    const empty = await writeDefinition('c-empty.yaml', '');
    await writeDefinition('d-good.yaml', VALID_DEFINITION);

    const error = await loadError([directory]);

    expect(error.problems.map((problem) => problem.file)).toEqual([badType, badYaml, empty]);
    expect(error.problems[0]).toEqual({
      file: badType,
      field: '/colour',
      reason: 'unknown key "colour" (check its spelling or remove it)',
    });
    expect(error.problems[1]!.reason).toMatch(/^invalid YAML: .* at line \d+, column \d+$/);
    expect(error.problems[2]).toEqual({ file: empty, field: '', reason: 'file is empty (expected a connector definition)' });
    expect(error.message.split('\n')).toHaveLength(4);
    expect(error.message).toMatch(/^Connector definitions are invalid \(3 problems\):/);
  });

  it('rejects a duplicate key in YAML', async () => {
    await writeDefinition('acme.yaml', `${VALID_DEFINITION}\nid: other\n`);

    const error = await loadError([directory]);

    expect(error.problems[0]!.reason).toMatch(/^invalid YAML: Map keys must be unique/);
  });

  it('rejects an id that an earlier directory defined', async () => {
    const first = await writeDefinition('acme.yaml', VALID_DEFINITION);
    const second = await mkdtemp(path.join(os.tmpdir(), 'latchkey-catalog-'));
    try {
      const duplicate = await writeDefinition('acme-copy.yaml', VALID_DEFINITION, second);

      const error = await loadError([directory, second]);

      expect(error.problems).toEqual([
        { file: duplicate, field: '/id', reason: `connector id "acme-keys" is already defined in ${first}` },
      ]);
    } finally {
      await rm(second, { recursive: true, force: true });
    }
  });

  it('rejects a shipped id redefined by a partner folder', async () => {
    await writeDefinition('stripe.yaml', VALID_DEFINITION.replace('id: acme-keys', 'id: stripe'));

    const error = await loadError([DEFAULT_CONNECTORS_DIRECTORY, directory]);

    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]!.field).toBe('/id');
    expect(error.problems[0]!.reason).toMatch(/^connector id "stripe" is already defined in .*stripe\.yaml$/);
  });

  it('reports a missing directory', async () => {
    const missing = path.join(directory, 'missing');

    const error = await loadError([missing]);

    expect(error.problems).toEqual([{ file: missing, field: '', reason: 'directory not found' }]);
  });
});

describe('Catalog', () => {
  it('lists definitions sorted by id', async () => {
    await writeDefinition('b.yaml', VALID_DEFINITION.replace('id: acme-keys', 'id: zeta'));
    await writeDefinition('a.yaml', VALID_DEFINITION.replace('id: acme-keys', 'id: alpha'));

    const catalog = await loadCatalog([directory]);

    expect(catalog.list().map((definition) => definition.id)).toEqual(['alpha', 'zeta']);
  });

  it('finds nothing and gets an error for an unknown id', async () => {
    const catalog = await loadCatalog([DEFAULT_CONNECTORS_DIRECTORY]);

    expect(catalog.find('nope')).toBeUndefined();
    expect(() => catalog.get('nope')).toThrow(ConnectorNotFoundError);
    expect(() => catalog.get('nope')).toThrow(expect.objectContaining({ code: 'connector_not_found' }));
  });

  it('returns frozen definitions', async () => {
    const catalog = await loadCatalog([DEFAULT_CONNECTORS_DIRECTORY]);

    const stripe = catalog.get('stripe');
    expect(Object.isFrozen(stripe)).toBe(true);
    expect(Object.isFrozen(stripe.api.inject)).toBe(true);
  });
});
