// The config loader under arbitrary input: any YAML text, any JSON document, and any mutation of
// a config that runs (a subtree replaced, a key dropped, a value retyped) gives either a
// config or a ConfigError whose every issue names where it is, never another exception (which
// the CLI would print as a crash instead of one clear line).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import t from 'tap';
import { parse, stringify } from 'yaml';
import { ConfigError, Logger, Server, loadBootstrapConfig } from '@nodevoy/core';
import { createBundledRegistry } from '../src/bundled-extensions.js';
import { checkProperty } from '../../../test-support/fuzz.js';

const SEEDS = ['../configs/default.yaml', '../../../conformance/malformed/config.yaml'].map((path) =>
  readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8').replace('${upstream.recorder}', '10000'),
);
const registry = createBundledRegistry();
const log = Logger.create('error', { write: () => {} });

/** Loads and validates as `nodevoy --mode validate` does; returns the ConfigError, if any. */
function validate(yaml: string): ConfigError | undefined {
  try {
    new Server({ registry, config: loadBootstrapConfig({ yaml }, registry), log, mode: 'validate' });
    return undefined;
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw new Error(`not a ConfigError: ${err instanceof Error ? err.stack : String(err)}\n--- config ---\n${yaml}`);
  }
}

function wellFormed(error: ConfigError | undefined): boolean {
  return error === undefined || (error.issues.length > 0 && error.issues.every((issue) => typeof issue.path === 'string' && issue.message.length > 0));
}

type Tree = unknown;
/** Every path to a node of the tree, the root included. */
function paths(tree: Tree, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (tree && typeof tree === 'object') for (const [key, value] of Object.entries(tree)) out.push(...paths(value, [...at, Array.isArray(tree) ? Number(key) : key]));
  return out;
}

const replacement = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.constantFrom('', '-1', '1.5s', '0s', '99999999999999999999', 'NaN', '@type', 'type.googleapis.com/x', 'envoy_internal_address', null, [], {}),
);
type Mutation = { at: number; kind: 'replace' | 'delete' | 'rename'; value: unknown; name: string };
const mutation = fc.record({ at: fc.nat(), kind: fc.constantFrom('replace', 'delete', 'rename'), value: replacement, name: fc.string({ maxLength: 12 }) }) as fc.Arbitrary<Mutation>;

function mutate(seed: Tree, mutations: readonly Mutation[]): Tree {
  let tree = structuredClone(seed);
  for (const m of mutations) {
    const all = paths(tree);
    const path = all[m.at % all.length]!;
    if (path.length === 0) {
      tree = m.value;
      continue;
    }
    const parent = path.slice(0, -1).reduce((node: any, key) => node[key], tree) as any;
    const key = path.at(-1)!;
    if (m.kind === 'replace') parent[key] = m.value;
    else if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else {
      const value = parent[key];
      delete parent[key];
      if (m.kind === 'rename') parent[m.name] = value;
    }
  }
  return tree;
}

t.test('the seeds themselves are valid', async (t) => {
  for (const seed of SEEDS) t.equal(validate(seed), undefined);
});

t.test('a mutated working config: a config or a ConfigError naming its paths', async () => {
  const trees = SEEDS.map((seed) => parse(seed) as Tree);
  await checkProperty(
    'config mutations',
    fc.property(fc.nat({ max: trees.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (which, mutations) =>
      wellFormed(validate(stringify(mutate(trees[which], mutations)))),
    ),
    300,
  );
});

t.test('any JSON document or YAML text: a config or a ConfigError', async () => {
  await checkProperty('config documents', fc.property(fc.jsonValue(), (doc) => wellFormed(validate(JSON.stringify(doc)))), 200);
  await checkProperty('config texts', fc.property(fc.string({ unit: 'binary' }), (text) => wellFormed(validate(text))), 200);
});
