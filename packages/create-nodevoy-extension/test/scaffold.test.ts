// `npm create nodevoy-extension`: the names it derives, what it refuses, and the promise that a
// scaffolded package type-checks, builds and passes its own tests (the test kit's compliance
// suite included) at once. Scaffolded inside this repository, the packages resolve nodevoy and
// their tools from its node_modules, as they would from their own after `npm install`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { userEnvironment } from '../../../test-support/user-env.js';
import { ScaffoldError, extensionNames, scaffold } from '../src/index.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/create-nodevoy-extension.js', import.meta.url));

/** A fresh directory inside the repository (so nodevoy and the tools resolve from its node_modules), outside any node_modules (where tap finds no tests). */
function workDir(t: Test): string {
  const base = join(REPO, '.scaffold');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, 'scaffold-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function run(command: string, args: string[], cwd: string) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: userEnvironment(), timeout: 240_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function catching(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

t.test('names come from the package name', async (t) => {
  t.match(extensionNames('nodevoy-filter-rate-guard'), { snake: 'rate_guard', pascal: 'RateGuard', extensionName: 'nodevoy.contrib.rate_guard', messageName: 'nodevoy.contrib.rate_guard.v1.RateGuard' });
  t.match(extensionNames('@acme/nodevoy-http-filter-tenant-id', 'acme.filters.tenant_id'), { snake: 'tenant_id', extensionName: 'acme.filters.tenant_id', messageName: 'acme.filters.tenant_id.v1.TenantId' });
  t.throws(() => extensionNames('Bad Name'), /'Bad Name' is not a valid npm package name/);
  t.ok(catching(() => extensionNames('Bad Name')) instanceof ScaffoldError, 'a ScaffoldError, which the command prints without a stack');
  t.throws(() => extensionNames('nodevoy-filter-x', 'Not.An-Extension'), /is not an extension name/);
});

t.test('a directory with files in it is left alone', async (t) => {
  const dir = workDir(t);
  writeFileSync(join(dir, 'keep.txt'), 'mine');
  t.throws(() => scaffold({ directory: dir, kind: 'network' }), /is not empty/);
  t.equal(readFileSync(join(dir, 'keep.txt'), 'utf8'), 'mine');
});

for (const kind of ['network', 'http'] as const) {
  t.test(`a scaffolded ${kind} filter type-checks, builds and passes its own tests`, async (t) => {
    const dir = join(workDir(t), `nodevoy-filter-${kind}-sample`);
    const created = run(process.execPath, [BIN, dir, ...(kind === 'http' ? ['--http'] : [])], REPO);
    t.equal(created.status, 0, 'the command succeeds', { output: created.output });
    t.match(created.output, /next: cd .* && npm install && npm test/);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; peerDependencies: Record<string, string> };
    t.equal(pkg.name, `nodevoy-filter-${kind}-sample`);
    t.equal(pkg.peerDependencies['@nodevoy/core'], '^0.1.0');

    const typecheck = run(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', '.'], dir);
    t.equal(typecheck.status, 0, 'it type-checks', { output: typecheck.output });
    const build = run(process.execPath, [join(REPO, 'node_modules/tsup/dist/cli-default.js')], dir);
    t.equal(build.status, 0, 'it builds', { output: build.output });
    t.ok(readFileSync(join(dir, 'dist/index.d.ts'), 'utf8').includes('extension'), 'dist has the types');
    const tests = run(process.execPath, [join(REPO, 'node_modules/tap/dist/esm/run.mjs')], dir);
    t.equal(tests.status, 0, 'its tests pass', { output: tests.output });
    t.match(tests.output, /# \{ total: \d+, pass: \d+ \}/, 'every test of the new package passed');
  });
}

t.test('the command explains itself when used wrongly', async (t) => {
  const missing = run(process.execPath, [BIN], REPO);
  t.equal(missing.status, 2);
  t.match(missing.output, /usage: npm create nodevoy-extension <directory>/);
  const unknown = run(process.execPath, [BIN, 'x', '--nope'], REPO);
  t.equal(unknown.status, 2);
  t.match(unknown.output, /Unknown option '--nope'/);
});
