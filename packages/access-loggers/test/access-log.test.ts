// Access logs through the real CLI: Envoy's default line for a proxied request, a custom format
// with response flags and details for the replies nodevoy makes up, stdout, and config errors.
import { join } from 'node:path';
import t from 'tap';
import { anyHostRoutes, bootstrap, cluster, fileAccessLog, httpConnectionManager, tcpListener } from '../../../test-support/configs.js';
import { waitForLines } from '../../../test-support/files.js';
import { curl, startHttpUpstream } from '../../../test-support/http.js';
import { startNodevoy } from '../../../test-support/nodevoy.js';

function config(upstreamPort: number, accessLog: string): string {
  return bootstrap({
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
