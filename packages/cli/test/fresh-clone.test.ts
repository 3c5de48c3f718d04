// What a newcomer and an installer do, done here: a `git clone` of the repository, the README's
// commands run in it exactly as the README writes them, and the packages packed with `npm pack`
// and installed into empty directories (the CLI to run the seed's config; core, a cluster type
// and tcp_proxy to run the README's embedding snippet). Slow (a clone, `npm ci`, a build), so it
// shares one clone; it tests the committed tree, which is what CI runs.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { collect, connectTo, curl, scratchDir, startEchoServer, waitFor } from '@nodevoy/test-kit';
import { REPO_ROOT } from '../../../test-support/paths.js';
import { readmeBlocks, runCommand, startCommand, type Background } from './fresh-clone-commands.js';

const git = spawnSync('git', ['-C', REPO_ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
const skip = git.status === 0 ? false : `not a git checkout (${git.stderr.trim()}): nothing to clone`;

// A clone, `npm ci` and a build of every package outlast tap's default per-file limit on a busy 2-core machine.
t.setTimeout(900_000);

t.test('from a fresh clone', { timeout: 900_000, skip }, async (t) => {
  const dir = scratchDir(t);
  const clone = join(dir, 'clone');
  await runCommand(t, ['git', 'clone', '--quiet', REPO_ROOT, clone], dir);
  const readme = readFileSync(join(clone, 'README.md'), 'utf8');
  const shown = readmeBlocks(readme).join('\n');
  /** A README command, checked to be in the README as written, split into its argv. */
  const command = (line: string): string[] => {
    t.ok(shown.includes(line), `the README shows \`${line}\``);
    return line.split(' ');
  };

  await t.test('npm ci && npm run build', async (t) => {
    command('npm ci && npm run build');
    await runCommand(t, ['npm', 'ci', '--prefer-offline', '--no-audit', '--no-fund'], clone);
    await runCommand(t, ['npm', 'run', 'build'], clone);
  });

  await t.test('npm create nodevoy-extension: a new filter package that passes its own tests', async (t) => {
    const created = await runCommand(t, command('npm create nodevoy-extension my-filter'), clone);
    t.match(created.stdout, /created my-filter/);
    const tests = await runCommand(t, ['npm', 'test'], join(clone, 'my-filter'));
    t.match(tests.stdout, /# \{ total: \d+, pass: \d+ \}/);
  });

  await t.test('the intro: two npx nodevoy processes, and curl gets its answer through CONNECT', async (t) => {
    const [terminate, encapsulate] = [
      command('npx nodevoy -c configs/envoy/terminate_http_in_http2_connect.yaml'),
      command('npx nodevoy -c configs/envoy/encapsulate_http_in_http2_connect.yaml'),
    ].map((argv) => startCommand(t, argv, clone));
    const [curlArgv] = [command('curl http://127.0.0.1:10000/')];
    const answer = await answerOf((curlArgv as string[]).slice(1), 'Hello, world!', [terminate, encapsulate] as Background[]);
    t.match(answer, /Hello, world!/);
  });

  await t.test('npm start: the default config serves TCP, HTTP and admin', async (t) => {
    command('npm ci && npm start');
    const start = startCommand(t, ['npm', 'start'], clone);
    t.ok(readme.includes('`curl 127.0.0.1:10000/`'), 'the README suggests curl on 10000');
    t.match(await answerOf(['127.0.0.1:10000/'], 'Hello from nodevoy', [start]), /crossed an HTTP\/2 CONNECT tunnel/);
    t.ok(readme.includes('`nc 127.0.0.1 19000`'), 'the README suggests nc on 19000');
    const client = await connectTo(t, 19000);
    const echoed = collect(client);
    client.end('typed by a user\n');
    t.equal((await echoed).data.toString(), 'typed by a user\n');
    t.ok(readme.includes('`curl 127.0.0.1:9901/stats`'), 'the README suggests the admin stats');
    const stats = await curl(['127.0.0.1:9901/stats']);
    t.match(stats.stdout, /^server\.live: 1$/m, `curl said: ${stats.stderr}`);
    await start.stop();
  });

  await t.test('npx nodevoy on a config: serve, validate, and the graph', async (t) => {
    copyFileSync(join(clone, 'configs/envoy/terminate_http_in_http2_connect.yaml'), join(clone, 'envoy.yaml'));
    const validate = await runCommand(t, command('npx nodevoy -c envoy.yaml --mode validate'), clone);
    t.match(validate.stdout, /configuration 'envoy\.yaml' OK/);
    const serve = startCommand(t, command('npx nodevoy -c envoy.yaml'), clone);
    await waitFor(async () => ((await connectOnce(10001)) ? true : serve.exited()), 60_000);
    await serve.stop();
    const graph = await runCommand(t, command('npx nodevoy -c packages/cli/configs/default.yaml --mode validate --graph'), clone);
    // The README shows part of the output (`...` where it skips): those lines, in that order.
    const sample = readmeBlocks(readme).find((block) => block.includes('--mode validate --graph\n')) ?? '';
    const shownLines = sample.split('\n$ ')[0]?.split('\n').slice(1).filter((line) => line.trim() !== '...') ?? [];
    t.ok(shownLines.length > 3, 'the README shows a graph');
    let from = 0;
    for (const line of shownLines) {
      const at = graph.stdout.indexOf(`${line}\n`, from);
      t.ok(at >= from, `the graph has, in order: ${line}`);
      from = at;
    }
    command('npx nodevoy -c envoy.yaml --mode validate --graph mermaid > chain.mmd');
    const mermaid = await runCommand(t, ['npx', 'nodevoy', '-c', 'envoy.yaml', '--mode', 'validate', '--graph', 'mermaid'], clone);
    t.match(mermaid.stdout, /^flowchart /);
  });

  const tarballs = join(dir, 'tarballs');
  mkdirSync(tarballs);
  await t.test('npm pack: every publishable package packs', async (t) => {
    await runCommand(t, ['npm', 'pack', '--workspace=packages', '--pack-destination', tarballs], clone);
    const packed = readdirSync(tarballs);
    t.ok(packed.includes('nodevoy-cli-0.1.0.tgz') && packed.includes('nodevoy-core-0.1.0.tgz'), packed.join(' '));
  });
  const tarball = (name: string) => join(tarballs, `nodevoy-${name}-0.1.0.tgz`);
  // Nothing is on the registry yet: npm installs the tarballs of the CLI's @nodevoy
  // dependencies given beside it, where it would otherwise fetch them.
  const everyTarball = () => readdirSync(tarballs).map((file) => join(tarballs, file));

  await t.test('the CLI, installed into an empty directory, runs the seed config with npx', async (t) => {
    const app = scratchDir(t, { 'package.json': '{ "private": true }\n' });
    await runCommand(t, ['npm', 'install', '--prefer-offline', '--no-audit', '--no-fund', tarball('cli'), ...everyTarball()], app);
    writeFileSync(join(app, 'seed.yaml'), seedConfig(readFileSync(join(clone, 'docs/seed/internal_listener.rst'), 'utf8')));
    const upstream = await startEchoServer(t, 19001);
    const proxy = startCommand(t, ['npx', 'nodevoy', '-c', 'seed.yaml'], app);
    await waitFor(async () => ((await connectOnce(19000)) ? true : proxy.exited()), 60_000);
    const client = await connectTo(t, 19000);
    const echoed = collect(client);
    client.end('through the seed');
    t.equal((await echoed).data.toString(), 'through the seed');
    t.ok(upstream.sockets.length > 0, 'through the upstream');
    await proxy.stop();
  });

  await t.test("core + cluster-static + tcp_proxy alone run the README's embedding snippet", async (t) => {
    const snippet = readmeBlocks(readme, 'ts').find((block) => block.includes('new Server('));
    if (snippet === undefined) throw new Error('the README has no embedding snippet');
    const upstream = await startEchoServer(t, 19001);
    const app = scratchDir(t, { 'package.json': '{ "private": true, "type": "module" }\n', 'main.js': snippet, 'envoy.yaml': EMBEDDED_CONFIG });
    // @nodevoy/http is tcp_proxy's peer (its CONNECT tunnels): npm would fetch it with it.
    const wanted = ['core', 'cluster-static', 'filter-tcp-proxy', 'http'].map(tarball);
    await runCommand(t, ['npm', 'install', '--prefer-offline', '--no-audit', '--no-fund', ...wanted], app);
    const installed = readdirSync(join(app, 'node_modules/@nodevoy')).sort();
    t.same(installed, ['cluster-static', 'core', 'filter-tcp-proxy', 'http'], 'nothing else of nodevoy came along');
    const program = startCommand(t, ['node', 'main.js'], app);
    await waitFor(async () => ((await connectOnce(19000)) ? true : program.exited()), 30_000);
    const client = await connectTo(t, 19000);
    const echoed = collect(client);
    client.end('embedded');
    t.equal((await echoed).data.toString(), 'embedded');
    t.ok(upstream.sockets.length > 0, 'through the upstream');
    await program.stop();
  });
});

/** The seed's example config as the document has it, upstream on loopback. */
function seedConfig(doc: string): string {
  const block = doc.slice(doc.indexOf('.. code-block:: yaml'), doc.indexOf('Real world use cases')).split('\n').slice(2);
  return block.map((line) => line.replace(/^ {2}/, '')).join('\n');
}

const EMBEDDED_CONFIG = `static_resources:
  listeners:
  - name: edge
    address: { socket_address: { address: 127.0.0.1, port_value: 19000 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: edge
          cluster: upstream
  clusters:
  - name: upstream
    type: STATIC
    load_assignment:
      cluster_name: upstream
      endpoints:
      - lb_endpoints:
        - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 19001 } } }
`;

async function connectOnce(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Runs curl with `args` until its output holds `expected` (the processes start meanwhile). */
async function answerOf(args: readonly string[], expected: string, processes: readonly Background[]): Promise<string> {
  return waitFor(async () => {
    for (const process of processes) process.exited();
    const { stdout } = await curl(args);
    return stdout.includes(expected) ? stdout : undefined;
  }, 120_000);
}
