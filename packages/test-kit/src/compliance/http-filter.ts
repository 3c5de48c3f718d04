import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { constants as http2, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { ADMIN, anyHostRoutes, cluster, httpConnectionManager, tcpListener } from '../configs.js';
import { http2Session, type HttpUpstream } from '../http.js';
import { startInProcess, type InProcessNodevoy } from '../in-process.js';
import { patternBytes } from '../network/recorder.js';
import type { TestLike } from '../test-like.js';
import { within } from '../wait.js';
import { assertNoFilterThrew, checkBadConfigs, type ComplianceOptions, type FilterUnderTest, type SuiteLike } from './filter-under-test.js';
import { startComplianceUpstream } from './http-upstream.js';

export interface HttpFilterUnderTest extends FilterUnderTest {
  /** Headers every request carries, so that the filter lets it through (an API key, say). */
  readonly requestHeaders?: Readonly<Record<string, string>>;
}

function harnessConfig(filter: FilterUnderTest, typedConfig: Readonly<Record<string, unknown>>, upstreamPort: number): string {
  return `${ADMIN}static_resources:
  listeners:
${tcpListener(
  'under_test',
  httpConnectionManager({
    statPrefix: 'under_test',
    httpFilters: `          - name: ${JSON.stringify(filter.name)}\n            typed_config: ${JSON.stringify(typedConfig)}\n`,
    routeConfig: anyHostRoutes('              - { match: { prefix: / }, route: { cluster: upstream, timeout: 0s } }\n'),
  }),
)}  clusters:
${cluster('upstream', [{ port: upstreamPort }])}`;
}

interface Harness {
  readonly proxy: InProcessNodevoy;
  readonly upstream: HttpUpstream;
  readonly port: number;
  /** An HTTP/1.1 request on a new connection, with the filter's request headers. */
  request(method: string, path: string): ClientRequest;
  /** An HTTP/2 (prior knowledge) connection, closed at teardown. */
  session(): Promise<ClientHttp2Session>;
  /** An HTTP/2 stream on `session`, with the filter's request headers. */
  stream(session: ClientHttp2Session, method: string, path: string): ClientHttp2Stream;
  within<T>(promise: Promise<T>, what: string): Promise<T>;
}

async function startHarness(t: TestLike, filter: HttpFilterUnderTest, options: ComplianceOptions): Promise<Harness> {
  const upstream = await startComplianceUpstream(t);
  const proxy = await startInProcess(t, harnessConfig(filter, filter.typedConfig, upstream.port), filter.extension ? [filter.extension] : []);
  const port = proxy.port('under_test');
  const extra = filter.requestHeaders ?? {};
  return {
    proxy,
    upstream,
    port,
    request(method, path) {
      const req = request({ host: '127.0.0.1', port, method, path, headers: { ...extra }, agent: false });
      req.on('error', () => {});
      t.teardown(() => req.destroy());
      return req;
    },
    session: () => http2Session(t, port),
    stream(session, method, path) {
      const stream = session.request({ ...extra, ':method': method, ':path': path }, { endStream: method === 'GET' });
      stream.on('error', () => {});
      return stream;
    },
    within: (promise, what) => within(promise, options.waitMs ?? 10_000, what),
  };
}

async function bodyOf(stream: IncomingMessage | ClientHttp2Stream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function responseTo(req: ClientRequest, body?: Buffer): Promise<{ status: number; body: Buffer }> {
  req.end(body);
  const [response] = (await once(req, 'response')) as [IncomingMessage];
  return { status: response.statusCode ?? 0, body: await bodyOf(response) };
}

async function http2ResponseTo(stream: ClientHttp2Stream, body?: Buffer): Promise<{ status: number; body: Buffer }> {
  if (body) stream.end(body);
  const [headers] = (await once(stream, 'response')) as [IncomingHttpHeaders];
  return { status: Number(headers[':status']), body: await bodyOf(stream) };
}

/** After every scenario: no stream or connection left open, no filter error, nothing thrown. */
async function settled(harness: Harness): Promise<void> {
  const { proxy } = harness;
  await proxy.waitForStat('http.under_test.downstream_rq_active', (active) => active === 0);
  await proxy.waitForStat('http.under_test.downstream_cx_active', (active) => active === 0);
  assert.equal(proxy.stat('http.under_test.downstream_rq_filter_error'), 0, 'the filter failed a stream (downstream_rq_filter_error)');
  assertNoFilterThrew(proxy.logs);
}

/** One more request after trouble: the connection manager and the filter still serve. */
async function stillServes(harness: Harness): Promise<void> {
  const { status, body } = await harness.within(responseTo(harness.request('GET', '/hello')), 'a request after the trouble');
  assert.equal(status, 200);
  assert.equal(body.toString(), 'hello');
}

const MiB = 1024 * 1024;

type Scenario = (harness: Harness) => Promise<void>;

const SCENARIOS: ReadonlyArray<readonly [string, Scenario]> = [
  [
    'HTTP/1.1: a GET is answered through the filter',
    async (harness) => {
      const { status, body } = await harness.within(responseTo(harness.request('GET', '/hello')), 'the response');
      assert.equal(status, 200);
      assert.equal(body.toString(), 'hello');
      assert.equal(harness.upstream.requests.length, 1, 'the request reached the upstream once');
    },
  ],
  [
    'HTTP/1.1: a 1 MiB body goes up and comes back whole',
    async (harness) => {
      const sent = patternBytes(MiB);
      const { status, body } = await harness.within(responseTo(harness.request('POST', '/echo'), sent), 'the echo');
      assert.equal(status, 200);
      assert.ok(body.equals(sent), `${body.length} of ${sent.length} bytes came back, or changed`);
    },
  ],
  [
    'HTTP/2: a GET and a 1 MiB echo on one connection',
    async (harness) => {
      const session = await harness.session();
      try {
        const hello = await harness.within(http2ResponseTo(harness.stream(session, 'GET', '/hello')), 'the GET');
        assert.equal(hello.status, 200);
        assert.equal(hello.body.toString(), 'hello');
        const sent = patternBytes(MiB);
        const echo = await harness.within(http2ResponseTo(harness.stream(session, 'POST', '/echo'), sent), 'the echo');
        assert.ok(echo.body.equals(sent), `${echo.body.length} of ${sent.length} bytes came back, or changed`);
      } finally {
        session.close();
      }
    },
  ],
  [
    'a slow reader pushes back to the upstream, then gets every byte',
    async (harness) => {
      const total = 32 * MiB;
      const req = harness.request('GET', `/bytes/${total}`);
      req.end();
      const [response] = (await harness.within(once(req, 'response'), 'the response headers')) as [IncomingMessage];
      response.pause();
      // The router paused the upstream because the client did not read: the filter passed the
      // back-pressure on instead of holding the response itself.
      await harness.proxy.waitForStat('cluster.upstream.upstream_flow_control_paused_reading_total', (n) => n > 0);
      const body = await harness.within(bodyOf(response), 'every byte at the slow reader');
      assert.ok(body.equals(patternBytes(total)), `${body.length} of ${total} bytes arrived, or changed`);
    },
  ],
  [
    'HTTP/1.1: a client that goes away just after its request headers leaves nothing behind',
    async (harness) => {
      const req = harness.request('POST', '/echo');
      req.setHeader('content-length', MiB);
      req.flushHeaders();
      await harness.proxy.waitForStat('http.under_test.downstream_rq_total', (n) => n === 1);
      req.destroy();
      await stillServes(harness);
    },
  ],
  [
    'HTTP/1.1: a client that goes away mid-upload leaves nothing behind',
    async (harness) => {
      const req = harness.request('POST', '/echo');
      req.setHeader('content-length', MiB);
      req.write(patternBytes(256 * 1024));
      // The proxy has the request (a filter that buffers bodies has not sent it upstream yet).
      await harness.proxy.waitForStat('http.under_test.downstream_rq_active', (n) => n === 1);
      req.destroy();
      await stillServes(harness);
    },
  ],
  [
    'HTTP/2: a stream reset beside a live one ends alone',
    async (harness) => {
      const session = await harness.session();
      try {
        const doomed = harness.stream(session, 'POST', '/echo');
        doomed.write(patternBytes(64 * 1024));
        const live = harness.stream(session, 'POST', '/echo');
        await harness.proxy.waitForStat('http.under_test.downstream_rq_active', (n) => n === 2);
        doomed.close(http2.NGHTTP2_CANCEL);
        const sent = patternBytes(256 * 1024);
        const echo = await harness.within(http2ResponseTo(live, sent), 'the live stream');
        assert.ok(echo.body.equals(sent), 'the live stream lost or changed bytes');
      } finally {
        session.close();
      }
    },
  ],
  [
    'an upstream that resets mid-response cuts that response only',
    async (harness) => {
      const req = harness.request('GET', '/reset/65536');
      req.end();
      const [response] = (await harness.within(once(req, 'response'), 'the response headers')) as [IncomingMessage];
      const ended = new Promise<'complete' | 'cut'>((resolve) => {
        response.on('error', () => resolve('cut')).on('aborted', () => resolve('cut'));
        response.on('end', () => resolve(response.complete ? 'complete' : 'cut'));
        response.resume();
      });
      assert.equal(await harness.within(ended, 'the cut response'), 'cut');
      await stillServes(harness);
    },
  ],
];

/**
 * What every HTTP filter must do (for a filter that lets requests through under the config
 * given): in a connection manager before the router, a GET and 1 MiB echoes on HTTP/1.1 and
 * HTTP/2, back-pressure from a slow reader reaching the upstream, clients that vanish after
 * their headers or mid-upload, an HTTP/2 stream reset beside a live one, an upstream reset
 * mid-response; after each, no stream or connection left open, no `downstream_rq_filter_error`,
 * nothing thrown across the boundary; and bad configs refused with their field paths.
 */
export function httpFilterCompliance(t: SuiteLike, filter: HttpFilterUnderTest, options: ComplianceOptions = {}): void {
  for (const [name, scenario] of SCENARIOS) {
    t.test(name, async (t) => {
      const harness = await startHarness(t, filter, options);
      await scenario(harness);
      await settled(harness);
    });
  }
  checkBadConfigs(t, filter, (typedConfig) => harnessConfig(filter, typedConfig, 1));
}
