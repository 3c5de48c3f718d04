// Access logs through the real CLI: Envoy's default line for a proxied request, a custom format
// with response flags and details for the replies nodevoy makes up, stdout, filters, and config
// errors.
import { join } from 'node:path';
import t from 'tap';
import { anyHostRoutes, bootstrap, cluster, curl, fileAccessLog, httpConnectionManager, startHttpUpstream, startNodevoy, tcpListener, waitForLines } from '@nodevoy/test-kit';

function config(upstreamPort: number, accessLog: string, tail?: string): string {
  return bootstrap({
    tail,
    listeners: [
      tcpListener(
        'http',
        httpConnectionManager({
          extra: accessLog,
          routeConfig: anyHostRoutes(`              - { match: { prefix: /up }, route: { cluster: web } }
              - { match: { prefix: /teapot }, direct_response: { status: 418, body: { inline_string: "short and stout" } } }
`),
        }),
      ),
    ],
    clusters: [cluster('web', [{ port: upstreamPort }])],
  });
}

t.test("Envoy's default format for a proxied request", async (t) => {
  const upstream = await startHttpUpstream(t);
  const dir = t.testdir();
  const path = join(dir, 'access.log');
  const proxy = await startNodevoy(t, config(upstream.port, fileAccessLog(path)));
  const port = await proxy.admin.listenerPort('http');
  const result = await curl([`http://127.0.0.1:${port}/up/x`, '-A', 'curl-test', '-H', 'x-request-id: req-1', '-d', 'hello']);
  t.equal(result.code, 0);
  const [line] = await waitForLines(path, 1);
  t.match(
    line,
    new RegExp(
      `^\\[\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\] "POST /up/x HTTP/1.1" 200 - 5 ${Buffer.byteLength(result.stdout)} \\d+ \\d+ "-" "curl-test" "req-1" "127.0.0.1:${port}" "127.0.0.1:${upstream.port}"$`,
    ),
  );
});

t.test('a custom format: response code, flags and details of local replies', async (t) => {
  const upstream = await startHttpUpstream(t);
  const path = join(t.testdir(), 'access.log');
  const proxy = await startNodevoy(t, config(upstream.port, fileAccessLog(path, '%REQ(:PATH)% %RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %UPSTREAM_HOST%\n')));
  const port = await proxy.admin.listenerPort('http');
  await curl([`http://127.0.0.1:${port}/teapot`]);
  await curl([`http://127.0.0.1:${port}/nowhere`]);
  await curl([`http://127.0.0.1:${port}/up`]);
  t.same(await waitForLines(path, 3), [
    '/teapot 418 - direct_response -',
    '/nowhere 404 NR route_not_found -',
    `/up 200 - via_upstream 127.0.0.1:${upstream.port}`,
  ]);
});

t.test('stdout access log', async (t) => {
  const upstream = await startHttpUpstream(t);
  const proxy = await startNodevoy(
    t,
    config(
      upstream.port,
      `          access_log:
          - name: envoy.access_loggers.stdout
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog
              log_format: { text_format: "seen %REQ(:PATH)% %RESPONSE_CODE%\\n" }
`,
    ),
  );
  let stdout = '';
  proxy.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  await curl([`http://127.0.0.1:${await proxy.admin.listenerPort('http')}/teapot`]);
  await proxy.stop();
  t.equal(stdout, 'seen /teapot 418\n');
});

t.test('an unknown operator in a log format is a config error at its field', async (t) => {
  const error = await startNodevoy(t, config(1, fileAccessLog('/tmp/never.log', '%NOPE%\n'))).then(
    () => 'started',
    (err: Error) => err.message,
  );
  t.match(error, /http_filters|access_log\[0\]\.typed_config\.log_format: Not supported field in StreamInfo: NOPE/);
});

t.test("a filter's runtime key, set in layered_runtime, moves its threshold", async (t) => {
  const upstream = await startHttpUpstream(t);
  const path = join(t.testdir(), 'errors.log');
  const filtered = fileAccessLog(path, '%REQ(:PATH)% %RESPONSE_CODE%\n').replace(
    '- name: envoy.access_loggers.file\n',
    '- name: envoy.access_loggers.file\n            filter: { status_code_filter: { comparison: { op: GE, value: { default_value: 500, runtime_key: access_log.min_status } } } }\n',
  );
  const runtime = 'layered_runtime:\n  layers:\n  - name: static\n    static_layer: { access_log.min_status: 400 }\n';
  const proxy = await startNodevoy(t, config(upstream.port, filtered, runtime));
  const port = await proxy.admin.listenerPort('http');
  await curl([`http://127.0.0.1:${port}/up`]);
  await curl([`http://127.0.0.1:${port}/nowhere`]);
  await curl([`http://127.0.0.1:${port}/teapot`]);
  await proxy.stop();
  t.same(await waitForLines(path, 2), ['/nowhere 404', '/teapot 418'], 'the runtime value (400), not the default (500), decides; the 200 is left out');
});

t.test('access log filter errors name the field', async (t) => {
  const withFilter = (filter: string) =>
    config(1, fileAccessLog('/tmp/never.log').replace('- name: envoy.access_loggers.file\n', `- name: envoy.access_loggers.file\n            filter: ${filter}\n`));
  const errorOf = (filter: string) =>
    startNodevoy(t, withFilter(filter)).then(
      () => 'started',
      (err: Error) => err.message,
    );
  t.match(await errorOf('{ response_flag_filter: { flags: [UF, XX] } }'), /access_log\[0\]\.filter\.response_flag_filter\.flags: unknown response flag 'XX'/);
  t.match(await errorOf('{ and_filter: { filters: [{ traceable_filter: {} }] } }'), /access_log\[0\]\.filter\.and_filter\.filters: /);
  t.match(await errorOf('{ status_code_filter: { comparison: { op: GE, value: { default_value: 400 } } } }'), /access_log\[0\]\.filter\.status_code_filter\.comparison\.value: missing required field 'runtime_key'/);
  t.match(await errorOf('{ header_filter: { header: { name: x } } }'), /access_log\[0\]\.filter\.header_filter: .*not implemented by nodevoy yet/);
  t.match(await errorOf('{}'), /access_log\[0\]\.filter: /, 'a filter needs one kind');
});

t.test('json_format: one JSON object per line, typed values, nested keys, omit_empty_values', async (t) => {
  const upstream = await startHttpUpstream(t);
  const path = join(t.testdir(), 'json.log');
  const jsonLog = `          access_log:
          - name: envoy.access_loggers.file
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
              path: ${path}
              log_format:
                json_format:
                  status: "%RESPONSE_CODE%"
                  request: { path: "%REQ(:PATH)%", agent: "%REQ(USER-AGENT)%", absent: "%REQ(x-absent)%" }
                  line: "%REQ(:METHOD)% %REQ(:PATH)% %REQ(x-absent)%"
                  bytes: "%BYTES_SENT%"
                  fixed: [1, true, "%RESPONSE_CODE%"]
          - name: envoy.access_loggers.file
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
              path: ${path}
              log_format: { omit_empty_values: true, json_format: { absent: "%REQ(x-absent)%", path: "%REQ(:PATH)%" } }
`;
  const proxy = await startNodevoy(t, config(upstream.port, jsonLog));
  const result = await curl([`http://127.0.0.1:${await proxy.admin.listenerPort('http')}/teapot`, '-A', 'json-test']);
  await proxy.stop();
  const [full, omitted] = (await waitForLines(path, 2)).map((line) => JSON.parse(line) as unknown);
  t.strictSame(full, {
    bytes: Buffer.byteLength(result.stdout),
    fixed: [1, true, 418],
    line: 'GET /teapot -',
    request: { absent: null, agent: 'json-test', path: '/teapot' },
    status: 418,
  });
  t.strictSame(omitted, { path: '/teapot' }, 'a missing value is left out, not written as null');
  t.equal((await waitForLines(path, 2))[0], JSON.stringify(full), 'keys in sorted order, as Envoy writes them');
});

t.test('json_format errors name the field', async (t) => {
  const bad = `          access_log:
          - name: envoy.access_loggers.stdout
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog
              log_format: { json_format: { nested: { bad: "%NOPE%" } } }
`;
  const error = await startNodevoy(t, config(1, bad)).then(
    () => 'started',
    (err: Error) => err.message,
  );
  t.match(error, /access_log\[0\]\.typed_config\.log_format: Not supported field in StreamInfo: NOPE/);
});
