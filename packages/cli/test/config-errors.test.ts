// Bad configs: exit 1 with one clear error naming the field path and line:col; Envoy's
// message where Envoy has one. The internal listener rules are spec §1.3 / §4.A.
import t, { type Test } from 'tap';
import { runNodevoy, writeConfig } from '@nodevoy/test-kit';

const BOOTSTRAP_EXTENSION = `bootstrap_extensions:
- name: envoy.bootstrap.internal_listener
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.bootstrap.internal_listener.v3.InternalListener
`;

/** A valid seed-like config; `internalExtra` lines go into listener[1], the internal one. */
function config(options: { internalExtra?: string; internalHead?: string; bootstrap?: string; tcpCluster?: string; tail?: string } = {}): string {
  return `static_resources:
  listeners:
  - name: outbound
    address:
      socket_address: { address: 127.0.0.1, port_value: 0 }
    filter_chains:
    - filters:
      - name: tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          cluster: ${options.tcpCluster ?? 'to_internal'}
          stat_prefix: outbound
  - name: foo
${options.internalHead ?? '    internal_listener: {}'}
${options.internalExtra ?? ''}
    filter_chains:
    - filters:
      - name: tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          cluster: upstream
          stat_prefix: inner
  clusters:
  - name: to_internal
    load_assignment:
      cluster_name: to_internal
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              envoy_internal_address: { server_listener_name: foo }
  - name: upstream
    connect_timeout: 1s
    load_assignment:
      cluster_name: upstream
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              socket_address: { address: 127.0.0.1, port_value: 1 }
${options.bootstrap ?? BOOTSTRAP_EXTENSION}${options.tail ?? ''}`.replace(/\n\n+/g, '\n');
}

/** 1-based line of the first line containing `needle`. */
function lineOf(yaml: string, needle: string): number {
  const index = yaml.split('\n').findIndex((l) => l.includes(needle));
  if (index < 0) throw new Error(`'${needle}' not in config`);
  return index + 1;
}

async function expectRejected(t: Test, yaml: string, expected: { path: string; message: string | RegExp; at: string }) {
  const file = writeConfig(t, yaml);
  const result = await runNodevoy(['-c', file, '--mode', 'validate']);
  t.equal(result.code, 1, 'exit code 1');
  const line = lineOf(yaml, expected.at);
  const issue = result.stderr.split('\n').find((l) => l.includes(`${expected.path}:`));
  t.ok(issue, `an error names ${expected.path}:\n${result.stderr}`);
  t.match(issue ?? '', new RegExp(`config\\.yaml:${line}:\\d+: `), `and points at line ${line}`);
  t.match(issue ?? '', expected.message);
  return result;
}

t.test('a valid config passes --mode validate', async (t) => {
  const result = await runNodevoy(['-c', writeConfig(t, config()), '--mode', 'validate']);
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout, /configuration '.*config\.yaml' OK/);
});

const internalRules: { name: string; extra?: string; head?: string; bootstrap?: string; path: string; message: string; at: string }[] = [
  {
    name: 'address together with internal_listener',
    extra: '    address: { socket_address: { address: 127.0.0.1, port_value: 1234 } }',
    path: 'static_resources.listeners[1].address',
    message: "error adding listener 'foo': address should not be used when an internal listener config is provided",
    at: 'port_value: 1234',
  },
  {
    name: 'api_listener together with internal_listener',
    extra: '    api_listener: {}',
    path: 'static_resources.listeners[1].internal_listener',
    message: "error adding listener named 'foo': api_listener and internal_listener cannot be both set",
    at: 'internal_listener: {}',
  },
  ...(
    [
      ['connection_balance_config', '    connection_balance_config: { exact_balance: {} }'],
      ['enable_reuse_port', '    enable_reuse_port: false'],
      ['freebind', '    freebind: true'],
      ['tcp_backlog_size', '    tcp_backlog_size: 10'],
      ['tcp_fast_open_queue_length', '    tcp_fast_open_queue_length: 1'],
      ['transparent', '    transparent: true'],
    ] as const
  ).map(([field, extra]) => ({
    name: field,
    extra,
    path: `static_resources.listeners[1].${field}`,
    message: "error adding listener named 'foo': has unsupported tcp listener feature",
    at: `${field}:`,
  })),
  {
    name: 'socket_options',
    extra: '    socket_options: [{ level: 1, name: 2, int_value: 1 }]',
    path: 'static_resources.listeners[1].socket_options',
    message: "error adding listener named 'foo': does not support socket option",
    at: 'socket_options:',
  },
  {
    name: 'enable_mptcp',
    extra: '    enable_mptcp: true',
    path: 'static_resources.listeners[1].enable_mptcp',
    message: 'listener foo: enable_mptcp can only be used with IP addresses',
    at: 'enable_mptcp:',
  },
  {
    name: 'no bootstrap extension',
    bootstrap: '',
    path: 'static_resources.listeners[1].internal_listener',
    message: "error adding listener named 'foo': InternalListener bootstrap extension is mandatory",
    at: 'internal_listener: {}',
  },
  {
    name: 'neither address nor internal_listener',
    head: '    stat_prefix: foo',
    path: 'static_resources.listeners[1]',
    message: "error adding listener named 'foo': address is necessary",
    at: '- name: foo',
  },
];

for (const rule of internalRules) {
  t.test(`internal listener rule: ${rule.name}`, async (t) => {
    const yaml = config({ internalExtra: rule.extra, internalHead: rule.head, bootstrap: rule.bootstrap });
    const result = await expectRejected(t, yaml, { path: rule.path, message: rule.message, at: rule.at });
    t.match(result.stderr, /\(.+\)/, "nodevoy's fix comes with Envoy's message");
  });
}

t.test('the runtime key envoy.reloadable_features.internal_address=false rejects internal addresses', async (t) => {
  const yaml = config({ tail: 'layered_runtime:\n  layers:\n  - name: disable\n    static_layer:\n      envoy.reloadable_features.internal_address: false\n' });
  const result = await expectRejected(t, yaml, {
    path: 'static_resources.listeners[1].internal_listener',
    message: /internal listeners are disabled by the runtime key envoy\.reloadable_features\.internal_address=false/,
    at: 'internal_listener: {}',
  });
  t.match(result.stderr, /static_resources\.clusters\[0\]\.load_assignment\.endpoints\[0\]\.lb_endpoints\[0\]\.endpoint\.address\.envoy_internal_address: internal addresses are disabled/);
});

t.test('buffer_size_kb: 1 and 8192 accepted; 0 and 8193 rejected', async (t) => {
  const withSize = (kb: number) =>
    config({
      bootstrap: `${BOOTSTRAP_EXTENSION}    buffer_size_kb: ${kb}\n`,
    });
  for (const kb of [1, 8192]) {
    const result = await runNodevoy(['-c', writeConfig(t, withSize(kb)), '--mode', 'validate']);
    t.equal(result.code, 0, `${kb}: ${result.stderr}`);
  }
  for (const kb of [0, 8193]) {
    await expectRejected(t, withSize(kb), {
      path: 'bootstrap_extensions[0].typed_config.buffer_size_kb',
      message: 'value must be inside range [1, 8192]',
      at: 'buffer_size_kb',
    });
  }
});

t.test('an unknown field is named, with a suggestion', async (t) => {
  const yaml = config().replace('stat_prefix: outbound', 'stat_prefix: outbound\n          stat_prefx: typo');
  await expectRejected(t, yaml, {
    path: 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.stat_prefx',
    message: "unknown field 'stat_prefx' in envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy (did you mean 'stat_prefix'?)",
    at: 'stat_prefx',
  });
});

t.test('an unknown @type is an error; a known Envoy type nodevoy does not ship says so', async (t) => {
  await expectRejected(t, config().replace('tcp_proxy.v3.TcpProxy\n          cluster: to_internal', 'tcp_proxy.v3.TcpProxyX\n          cluster: to_internal'), {
    path: 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.@type',
    message: "unknown envoy.filters.network extension 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxyX'",
    at: 'TcpProxyX',
  });
  const redis = config().replace(
    /"@type": type.googleapis.com\/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy\n {10}cluster: to_internal\n {10}stat_prefix: outbound/,
    '"@type": type.googleapis.com/envoy.extensions.filters.network.redis_proxy.v3.RedisProxy',
  );
  await expectRejected(t, redis, {
    path: 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.@type',
    message: 'envoy.filters.network.redis_proxy (type.googleapis.com/envoy.extensions.filters.network.redis_proxy.v3.RedisProxy) is an Envoy extension that nodevoy does not ship',
    at: 'RedisProxy',
  });
});

t.test('a bad duration is named, with the form a duration takes', async (t) => {
  await expectRejected(t, config().replace('connect_timeout: 1s', 'connect_timeout: 1h'), {
    path: 'static_resources.clusters[1].connect_timeout',
    message: `invalid duration "1h": a duration is a number of seconds ending in 's'`,
    at: 'connect_timeout: 1h',
  });
});

t.test('a tcp_proxy route to a missing cluster is an error (nodevoy has no CDS)', async (t) => {
  await expectRejected(t, config({ tcpCluster: 'nowhere' }), {
    path: 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.cluster',
    message: "tcp_proxy: unknown cluster 'nowhere'",
    at: 'cluster: nowhere',
  });
});

t.test('--mode validate reports every problem, not just the first', async (t) => {
  // Field errors are all reported together; then, on a config whose fields are sound, every
  // semantic error (like a compiler's syntax and type phases).
  const fields = config().replace('connect_timeout: 1s', 'connect_timeout: soon').replace('stat_prefix: inner', 'stat_prefix: inner\n          bogus: 1');
  const fieldResult = await runNodevoy(['-c', writeConfig(t, fields), '--mode', 'validate']);
  t.equal(fieldResult.code, 1);
  t.match(fieldResult.stderr, /2 problems/);
  t.match(fieldResult.stderr, /connect_timeout: invalid duration/);
  t.match(fieldResult.stderr, /unknown field 'bogus'/);

  const semantic = config({ tcpCluster: 'nowhere', internalExtra: '    freebind: true' });
  const semanticResult = await runNodevoy(['-c', writeConfig(t, semantic), '--mode', 'validate']);
  t.equal(semanticResult.code, 1);
  t.match(semanticResult.stderr, /2 problems/);
  t.match(semanticResult.stderr, /unknown cluster 'nowhere'/);
  t.match(semanticResult.stderr, /has unsupported tcp listener feature/);
});

t.test('YAML syntax errors carry line:col', async (t) => {
  const result = await runNodevoy(['-c', writeConfig(t, 'static_resources:\n  listeners: [\n')]);
  t.equal(result.code, 1);
  t.match(result.stderr, /config\.yaml:\d+:\d+: /);
});

t.test('a missing config file is a clear error', async (t) => {
  const result = await runNodevoy(['-c', '/nonexistent/nodevoy.yaml']);
  t.equal(result.code, 1);
  t.match(result.stderr, /unable to read file: \/nonexistent\/nodevoy\.yaml/);
});

t.test('serve mode fails the same way, with exit code 1', async (t) => {
  const result = await runNodevoy(['-c', writeConfig(t, config({ internalExtra: '    freebind: true' }))]);
  t.equal(result.code, 1);
  t.match(result.stderr, /static_resources\.listeners\[1\]\.freebind: error adding listener named 'foo': has unsupported tcp listener feature/);
});

t.test('JSON configs load too, with line:col in errors', async (t) => {
  const json = JSON.stringify({ static_resources: { clusters: [{ name: 'c', connectTimeout: '1x' }] } }, null, 2);
  const dir = t.testdir({ 'config.json': json });
  const result = await runNodevoy(['-c', `${dir}/config.json`, '--mode', 'validate']);
  t.equal(result.code, 1);
  t.match(result.stderr, /config\.json:\d+:\d+: static_resources\.clusters\[0\]\.connect_timeout: invalid duration "1x"/);
});
