import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import type { ConnectorDefinition } from './connector-definition.ts';
import { parseConnectorDefinition } from './parse-connector-definition.ts';

/** Absolute path of the `connectors/` folder of definitions that ship with Latchkey. */
export const DEFAULT_CONNECTORS_DIRECTORY = fileURLToPath(new URL('../../connectors', import.meta.url));

/** A problem in one definition file: the path for display, a JSON pointer to the key (empty for the whole file), and the reason. */
export interface CatalogProblem {
  file: string;
  field: string;
  reason: string;
}

/** Error raised at start-up when any connector definition is invalid. It lists every problem of every file. */
export class CatalogError extends Error {
  readonly code = 'invalid_connector_definition';
  readonly problems: CatalogProblem[];

  constructor(problems: CatalogProblem[]) {
    const lines = problems.map((problem) => [problem.file, problem.field, problem.reason].filter((part) => part !== '').join(': '));
    super(`Connector definitions are invalid (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}):\n${lines.join('\n')}`);
    this.name = 'CatalogError';
    this.problems = problems;
  }
}

/** Error raised by {@link Catalog.get} for an id that is not in the catalog. */
export class ConnectorNotFoundError extends Error {
  readonly code = 'connector_not_found';
  readonly connectorId: string;

  constructor(connectorId: string) {
    super(`Connector ${JSON.stringify(connectorId.slice(0, 100))} is not in the catalog.`);
    this.name = 'ConnectorNotFoundError';
    this.connectorId = connectorId;
  }
}

/** The connector definitions that Latchkey serves, by id. */
export class Catalog {
  readonly #definitions = new Map<string, ConnectorDefinition>();

  /** Raises an Error if two definitions share an id. */
  constructor(definitions: Iterable<ConnectorDefinition>) {
    for (const definition of definitions) {
      const existing = this.#definitions.get(definition.id);
      if (existing) {
        throw new Error(`Connector id "${definition.id}" is defined in both ${existing.source} and ${definition.source}.`);
      }
      this.#definitions.set(definition.id, definition);
    }
  }

  /** Returns every definition, sorted by id. */
  list(): ConnectorDefinition[] {
    return [...this.#definitions.values()].sort(compareById);
  }

  /** Returns the definition with this id, or undefined. */
  find(id: string): ConnectorDefinition | undefined {
    return this.#definitions.get(id);
  }

  /** Returns the definition with this id, or raises {@link ConnectorNotFoundError}. */
  get(id: string): ConnectorDefinition {
    const definition = this.#definitions.get(id);
    if (!definition) throw new ConnectorNotFoundError(id);
    return definition;
  }
}

function compareById(left: ConnectorDefinition, right: ConnectorDefinition): number {
  if (left.id < right.id) return -1;
  if (left.id > right.id) return 1;
  return 0;
}

/**
 * Loads every `*.yaml` and `*.yml` file of each directory, in the order given and by file
 * name within a directory, and returns the catalog.
 *
 * Files whose names start with "." and subdirectories are skipped. An id may be defined
 * only once across all directories, so a partner's folder cannot replace a shipped
 * definition. All problems of all files are collected and raised together as one
 * {@link CatalogError}, so that one start-up shows everything to fix.
 */
export async function loadCatalog(directories: string[]): Promise<Catalog> {
  const problems: CatalogProblem[] = [];
  const definitions: ConnectorDefinition[] = [];
  const sourceById = new Map<string, string>();

  for (const directory of directories) {
    const files = await listDefinitionFiles(directory, problems);

    for (const file of files) {
      const loaded = await loadDefinitionFile(file);
      if (!loaded.ok) {
        problems.push(...loaded.problems);
        continue;
      }

      const earlier = sourceById.get(loaded.definition.id);
      if (earlier !== undefined) {
        problems.push({
          file: displayPath(file),
          field: '/id',
          reason: `connector id "${loaded.definition.id}" is already defined in ${displayPath(earlier)}`,
        });
        continue;
      }
      sourceById.set(loaded.definition.id, file);
      definitions.push(loaded.definition);
    }
  }

  if (problems.length > 0) throw new CatalogError(problems);
  return new Catalog(definitions);
}

async function listDefinitionFiles(directory: string, problems: CatalogProblem[]): Promise<string[]> {
  const absolute = path.resolve(directory);
  try {
    const entries = await readdir(absolute, { withFileTypes: true });
    return entries
      .filter((entry) => (entry.isFile() || entry.isSymbolicLink()) && /\.ya?ml$/i.test(entry.name) && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
      .sort()
      .map((name) => path.join(absolute, name));
  } catch (error) {
    problems.push({ file: displayPath(absolute), field: '', reason: describeDirectoryError(error) });
    return [];
  }
}

function describeDirectoryError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'directory not found';
  if (code === 'ENOTDIR') return 'is not a directory';
  return `directory could not be read (${code ?? String(error)})`;
}

type LoadedFile = { ok: true; definition: ConnectorDefinition } | { ok: false; problems: CatalogProblem[] };

async function loadDefinitionFile(file: string): Promise<LoadedFile> {
  const displayedFile = displayPath(file);
  const fileProblem = (reason: string): LoadedFile => ({ ok: false, problems: [{ file: displayedFile, field: '', reason }] });

  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return fileProblem(`file could not be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }

  const document = YAML.parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) {
    return {
      ok: false,
      problems: document.errors.map((error) => ({ file: displayedFile, field: '', reason: `invalid YAML: ${firstLine(error.message)}` })),
    };
  }

  let value: unknown;
  try {
    // The alias limit stops "billion laughs" documents that expand to huge values.
    value = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return fileProblem(`invalid YAML: ${firstLine((error as Error).message)}`);
  }
  if (value === null || value === undefined) return fileProblem('file is empty (expected a connector definition)');

  const result = parseConnectorDefinition(value, file);
  if (!result.ok) return { ok: false, problems: result.problems.map((problem) => ({ file: displayedFile, ...problem })) };
  return result;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/:$/, '');
}

/** Returns the path relative to the working directory when the file is inside it, so messages stay short. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}
