import type { ExtensionNames } from './names.js';

/** What kind of filter to scaffold. */
export type ExtensionKind = 'network' | 'http';

/** The versions a scaffolded package builds and tests with. */
export interface ToolVersions {
  readonly nodevoy: string;
  readonly tap: string;
  readonly tsup: string;
  readonly typescript: string;
  readonly nodeTypes: string;
}

/** Every file of a scaffolded package, by its path in the package. */
export function packageFiles(kind: ExtensionKind, names: ExtensionNames, versions: ToolVersions): Record<string, string> {
  const source = kind === 'network' ? networkFilterSource(names) : httpFilterSource(names);
  return {
    'package.json': packageJson(kind, names, versions),
    'tsconfig.json': TSCONFIG,
    'tsup.config.ts': TSUP_CONFIG,
    '.gitignore': 'node_modules\ndist\n',
    'README.md': readme(kind, names),
    'src/index.ts': source,
    'test/compliance.test.ts': complianceTest(kind, names),
    [`test/${names.snake}.test.ts`]: kind === 'network' ? networkFilterTest(names) : httpFilterTest(names),
  };
}

function packageJson(kind: ExtensionKind, names: ExtensionNames, v: ToolVersions): string {
  const nodevoy = (...packages: string[]) => Object.fromEntries(packages.map((name) => [name, v.nodevoy]));
  const peers = kind === 'network' ? nodevoy('@nodevoy/core') : nodevoy('@nodevoy/core', '@nodevoy/filter-http-connection-manager', '@nodevoy/http');
  const json = {
    name: names.packageName,
    version: '0.1.0',
    description: `${names.extensionName}: a nodevoy ${kind === 'network' ? 'network' : 'HTTP'} filter`,
    type: 'module',
    engines: { node: '>=20' },
    main: './dist/index.js',
    types: './dist/index.d.ts',
    exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } },
    files: ['dist'],
    scripts: { build: 'tsup', typecheck: 'tsc --noEmit -p .', test: 'tap' },
    // Coverage is reported, not enforced: a new filter grows its own tests.
    tap: { 'allow-incomplete-coverage': true },
    peerDependencies: peers,
    devDependencies: { ...peers, ...nodevoy('@nodevoy/test-kit'), '@types/node': v.nodeTypes, tap: v.tap, tsup: v.tsup, typescript: v.typescript },
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

const TSCONFIG = `${JSON.stringify(
  {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      types: ['node'],
      strict: true,
      noUncheckedIndexedAccess: true,
      isolatedModules: true,
      verbatimModuleSyntax: true,
      declaration: true,
      skipLibCheck: true,
    },
    include: ['src', 'test', 'tsup.config.ts'],
  },
  null,
  2,
)}\n`;

const TSUP_CONFIG = `import { defineConfig } from 'tsup';

// ESM and types; nodevoy's packages stay external (peer dependencies).
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  target: 'node20',
  dts: true,
  clean: true,
});
`;

function networkFilterSource(n: ExtensionNames): string {
  return `import { Category, createStatsSet, extensionPackage, schema, type MessageValue, type NetworkFilterFactory, type NodevoyExtension } from '@nodevoy/core';

/** The typed config: \`@type: type.googleapis.com/${n.messageName}\`. */
const configSchema = schema.message('${n.messageName}', {
  stat_prefix: schema.required(schema.string({ minLen: 1 })),
});

type ${n.pascal}Config = MessageValue<typeof configSchema.fields>;

/**
 * \`${n.extensionName}\`: a pass-through network filter that counts connections and bytes each
 * way under \`${n.snake}.<stat_prefix>.*\`. Put it before a terminal filter (tcp_proxy).
 */
export const ${camel(n.pascal)}Filter: NetworkFilterFactory<${n.pascal}Config> = {
  name: '${n.extensionName}',
  category: Category.networkFilter,
  typeUrls: ['type.googleapis.com/${n.messageName}'],
  configSchema,
  isTerminalFilter: false,
  createFilterFactory(config, context) {
    const stats = createStatsSet(context.server.stats.scope(\`${n.snake}.\${config.stat_prefix}\`), {
      counters: ['connections', 'rx_bytes', 'tx_bytes'] as const,
    });
    return (filterManager) => {
      stats.connections.inc();
      filterManager.addFilter({
        onData(data) {
          stats.rx_bytes.inc(data.length);
          return 'continue';
        },
        onWrite(data) {
          stats.tx_bytes.inc(data.length);
          return 'continue';
        },
      });
    };
  },
};

/** What nodevoy loads (\`nodevoy --extension ${n.packageName}\`, or \`registry.use(extension)\`). */
export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(${camel(n.pascal)}Filter);
  },
};
`;
}

function httpFilterSource(n: ExtensionNames): string {
  return `import { createStatsSet, extensionPackage, schema, type MessageValue, type NodevoyExtension } from '@nodevoy/core';
import { HTTP_FILTER_CATEGORY, type HttpFilter, type HttpFilterFactory, type HttpFilterStatus } from '@nodevoy/filter-http-connection-manager';
import type { HeaderMap } from '@nodevoy/http';

/** The typed config: \`@type: type.googleapis.com/${n.messageName}\`. */
const configSchema = schema.message('${n.messageName}', {
  stat_prefix: schema.required(schema.string({ minLen: 1 })),
  /** The response header the filter adds; default \`x-${n.snake.replace(/_/g, '-')}\`. */
  header: schema.string({ minLen: 1 }),
});

type ${n.pascal}Config = MessageValue<typeof configSchema.fields>;

/** Marks each response with a header and counts the requests it saw. */
class ${n.pascal}Filter implements HttpFilter {
  constructor(
    private readonly header: string,
    private readonly requests: { inc(): void },
  ) {}

  decodeHeaders(): HttpFilterStatus {
    this.requests.inc();
    return 'continue';
  }

  encodeHeaders(headers: HeaderMap): HttpFilterStatus {
    headers.set(this.header, 'seen');
    return 'continue';
  }
}

/** \`${n.extensionName}\`: an HTTP filter that marks responses and counts requests under \`${n.snake}.<stat_prefix>.*\`. */
export const ${camel(n.pascal)}Filter: HttpFilterFactory<${n.pascal}Config> = {
  name: '${n.extensionName}',
  category: HTTP_FILTER_CATEGORY,
  typeUrls: ['type.googleapis.com/${n.messageName}'],
  configSchema,
  isTerminalFilter: false,
  createFilterFactory(config, context) {
    const stats = createStatsSet(context.server.stats.scope(\`${n.snake}.\${config.stat_prefix}\`), { counters: ['requests'] as const });
    const header = (config.header ?? 'x-${n.snake.replace(/_/g, '-')}').toLowerCase();
    return (addFilter) => addFilter(new ${n.pascal}Filter(header, stats.requests));
  },
};

/** What nodevoy loads (\`nodevoy --extension ${n.packageName}\`, or \`registry.use(extension)\`). */
export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(${camel(n.pascal)}Filter);
  },
};
`;
}

function complianceTest(kind: ExtensionKind, n: ExtensionNames): string {
  const suite = kind === 'network' ? 'networkFilterCompliance' : 'httpFilterCompliance';
  return `// The test kit's compliance suite: what every ${kind === 'network' ? 'network' : 'HTTP'} filter must do (pass bytes and their end in
// order, survive half-close, reset, abort and a slow reader, never throw across the boundary,
// refuse a bad config naming its field), run on this one.
import t from 'tap';
import { ${suite} } from '@nodevoy/test-kit';
import { extension } from '../src/index.js';

const TYPE_URL = 'type.googleapis.com/${n.messageName}';

${suite}(t, {
  extension,
  name: '${n.snake}',
  typedConfig: { '@type': TYPE_URL, stat_prefix: 'edge' },
  badConfigs: [
    { typedConfig: { '@type': TYPE_URL }, error: /missing required field 'stat_prefix'/ },
    { typedConfig: { '@type': TYPE_URL, stat_prefix: '' }, error: /typed_config\\.stat_prefix/ },
  ],
});
`;
}

function networkFilterTest(n: ExtensionNames): string {
  return `// The filter in a running nodevoy, in this process: bytes cross it both ways and it counts them.
import t from 'tap';
import { ADMIN, cluster, collect, connectTo, startEchoServer, startInProcess, tcpListener } from '@nodevoy/test-kit';
import { extension } from '../src/index.js';

function config(upstreamPort: number): string {
  return \`\${ADMIN}static_resources:
  listeners:
\${tcpListener(
    'edge',
    \`    filter_chains:
    - filters:
      - name: ${n.extensionName}
        typed_config:
          "@type": type.googleapis.com/${n.messageName}
          stat_prefix: edge
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: edge
          cluster: upstream
\`,
  )}  clusters:
\${cluster('upstream', [{ port: upstreamPort }])}\`;
}

t.test('bytes cross the filter both ways and are counted', async (t) => {
  const upstream = await startEchoServer(t);
  const proxy = await startInProcess(t, config(upstream.port), [extension]);
  const client = await connectTo(t, proxy.port('edge'));
  const received = collect(client);
  client.end('twelve bytes');
  t.equal((await received).data.toString(), 'twelve bytes', 'the echo came back whole');
  await proxy.waitForStat('${n.snake}.edge.tx_bytes', (v) => v === 12);
  t.equal(proxy.stat('${n.snake}.edge.rx_bytes'), 12);
  t.equal(proxy.stat('${n.snake}.edge.connections'), 1);
});
`;
}

function httpFilterTest(n: ExtensionNames): string {
  const header = `x-${n.snake.replace(/_/g, '-')}`;
  return `// The filter in a running nodevoy, in this process: responses carry its header, requests are counted.
import t from 'tap';
import { ADMIN, cluster, httpConnectionManager, httpRequest, startHttpUpstream, startInProcess, tcpListener } from '@nodevoy/test-kit';
import { extension } from '../src/index.js';

function config(upstreamPort: number): string {
  const filter = \`          - name: ${n.extensionName}
            typed_config:
              "@type": type.googleapis.com/${n.messageName}
              stat_prefix: edge
\`;
  const routeConfig = '            virtual_hosts:\\n            - { name: all, domains: ["*"], routes: [{ match: { prefix: / }, route: { cluster: backend } }] }\\n';
  return \`\${ADMIN}static_resources:
  listeners:
\${tcpListener('http', httpConnectionManager({ httpFilters: filter, routeConfig }))}  clusters:
\${cluster('backend', [{ port: upstreamPort }])}\`;
}

t.test('responses carry the filter\\'s header and requests are counted', async (t) => {
  const upstream = await startHttpUpstream(t);
  const proxy = await startInProcess(t, config(upstream.port), [extension]);
  const response = await httpRequest(proxy.port('http'), { path: '/hello' });
  t.equal(response.status, 200);
  t.equal(response.body, 'upstream GET /hello');
  t.equal(response.headers['${header}'], 'seen');
  t.equal(proxy.stat('${n.snake}.edge.requests'), 1);
});
`;
}

function readme(kind: ExtensionKind, n: ExtensionNames): string {
  return `# ${n.packageName}

\`${n.extensionName}\`, a nodevoy ${kind === 'network' ? 'network' : 'HTTP'} filter.

\`\`\`sh
npm install
npm test          # its own tests and the test kit's compliance suite
npm run build     # dist/, ESM and types
\`\`\`

Use it in a config (\`@type: type.googleapis.com/${n.messageName}\`) and load it with the CLI:

\`\`\`sh
nodevoy -c envoy.yaml --extension ${n.packageName}
\`\`\`

or, embedding nodevoy, with \`registry.use(extension)\` on your registry. Its stats are
\`${n.snake}.<stat_prefix>.*\`.
`;
}

function camel(pascal: string): string {
  return pascal[0]?.toLowerCase() + pascal.slice(1);
}
