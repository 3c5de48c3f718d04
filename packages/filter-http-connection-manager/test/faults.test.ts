import { once } from 'node:events';
import type { Socket } from 'node:net';
import t from 'tap';
import { ADMIN, anyHostRoutes, closedPort, collect, connectTo, http2Session, httpConnectionManager, httpRequest, namedReply, readHttp1Responses, startHttpUpstream, startNodevoy, startTcpServer, tcpListener, type TestLike } from '@nodevoy/test-kit';

/**
 * Bad peers and upstream faults get Envoy's answers (checked against Envoy 1.40), and a
 * keep-alive client on another connection carries on through all of them.
 */

function cluster(name: string, port: number): string {
  return `  - name: ${name}
    load_assignment:
      cluster_name: ${name}
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${port} } } } }] }]
`;
}

/** An HTTP/1.1 upstream that sends headers and half the body, then resets the connection. */
function startResettingUpstream(t: TestLike) {
  return startTcpServer(t, (socket: Socket) => {
    socket.once('data', () => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly half of it');
      setImmediate(() => socket.resetAndDestroy());
    });
  });
}

async function faultsConfig(t: TestLike): Promise<string> {
  const good = await startHttpUpstream(t, namedReply('good'));
  const resetting = await startResettingUpstream(t);
  const hanging = await startTcpServer(t); // accepts, reads, never answers
  const routes = `              - match: { connect_matcher: {} }
                route: { cluster: good }
              - match: { prefix: /ok }
                route: { cluster: good }
              - match: { prefix: /refused }
                route: { cluster: refused }
              - match: { prefix: /reset-mid-body }
                route: { cluster: resetting }
              - match: { prefix: /slow }
                route: { cluster: hanging, timeout: 0.25s }
              - match: { prefix: /idle }
                route: { cluster: hanging, timeout: 0s, idle_timeout: 0.25s }
`;
  const hcm = httpConnectionManager({ extra: '          codec_type: AUTO\n', routeConfig: anyHostRoutes(routes) });
  return `${ADMIN}static_resources:
  listeners:
${tcpListener('http', hcm)}  clusters:
${cluster('good', good.port)}${cluster('refused', await closedPort())}${cluster('resetting', resetting.port)}${cluster('hanging', hanging.port)}`;
}

t.test('bad peers and upstream faults', async (t) => {
  const proxy = await startNodevoy(t, await faultsConfig(t));
  const port = await proxy.admin.listenerPort('http');

  // The bystander: one keep-alive connection, used before and after every fault.
  const bystander = await connectTo(t, port);
  let bystanderReplies = 0;
  const askBystander = async () => {
    const reply = readHttp1Responses(bystander, 1);
    bystander.write('GET /ok/bystander HTTP/1.1\r\nHost: example.com\r\n\r\n');
    const [response] = await reply;
    bystanderReplies++;
    return response;
  };
  const first = await askBystander();
  t.match(first?.head, /^HTTP\/1\.1 200 OK\r\n/);
  t.equal(first?.body, 'good GET /ok/bystander');

  const exchange = async (payload: string) => {
    const client = await connectTo(t, port);
    const received = collect(client);
    client.write(payload);
    const { data, end } = await received;
    return { text: data.toString(), end };
  };

  t.test('a malformed request line: 400 Bad Request and the connection closes', async (t) => {
    const { text, end } = await exchange('GARBAGE\r\n\r\n');
    t.match(text, /^HTTP\/1\.1 400 Bad Request\r\n[^]*connection: close\r\n\r\nBad Request$/);
    t.not(end, 'reset');
  });

  t.test('an invalid header line: 400', async (t) => {
    t.match((await exchange('GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n')).text, /^HTTP\/1\.1 400 Bad Request\r\n/);
  });

  t.test('an unknown HTTP version: 426 Upgrade Required', async (t) => {
    t.match((await exchange('GET / HTTP/9.9\r\nHost: x\r\n\r\n')).text, /^HTTP\/1\.1 426 Upgrade Required\r\n[^]*Upgrade Required$/);
  });

  t.test('no Host header: 400 with an empty body, and the connection closes', async (t) => {
    t.match((await exchange('GET /ok HTTP/1.1\r\n\r\n')).text, /^HTTP\/1\.1 400 Bad Request\r\n[^]*content-length: 0\r\n/);
  });

  t.test('headers over max_request_headers_kb (60 KiB): 431', async (t) => {
    const { text } = await exchange(`GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`);
    t.match(text, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n[^]*Request Header Fields Too Large$/);
  });

  t.test('CONNECT matched by a route that does not enable the upgrade: 403, connection closed', async (t) => {
    const { text } = await exchange('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    t.match(text, /^HTTP\/1\.1 403 Forbidden\r\n[^]*connection: close\r\n/);
    t.equal(await proxy.admin.stat('http.ingress.downstream_rq_ws_on_non_ws_route'), 1);
  });

  t.test('an upstream that refuses: 503 with Envoy\'s reset reason', async (t) => {
    const response = await httpRequest(port, { path: '/refused' });
    t.equal(response.status, 503);
    t.equal(response.body, 'upstream connect error or disconnect/reset before headers. reset reason: remote connection failure');
    t.equal(await proxy.admin.stat('cluster.refused.upstream_cx_connect_fail'), 1);
    t.equal(await proxy.admin.stat('cluster.refused.upstream_rq_pending_failure_eject'), 1);
  });

  t.test('an upstream that resets mid-body: the HTTP/1.1 client sees its connection cut short', async (t) => {
    const { text, end } = await exchange('GET /reset-mid-body HTTP/1.1\r\nHost: x\r\n\r\n');
    t.match(text, /^HTTP\/1\.1 200 OK\r\n[^]*content-length: 100\r\n[^]*only half of it$/, 'the headers and the bytes that came arrive');
    t.ok(end === 'reset' || end === 'fin', 'then the connection ends before the promised 100 bytes');
    t.equal(await proxy.admin.stat('http.ingress.downstream_rq_tx_reset'), 1);
  });

  t.test('the same reset on HTTP/2: the client sees RST_STREAM, and its session lives on', async (t) => {
    const session = await http2Session(t, port);
    const stream = session.request({ ':path': '/reset-mid-body', ':authority': 'x' });
    stream.on('error', () => {}); // the reset is what this test waits for
    const [headers] = (await once(stream, 'response')) as [Record<string, unknown>];
    t.equal(headers[':status'], 200);
    stream.resume();
    await new Promise((resolve) => stream.once('close', resolve)); // events.once would throw on the reset
    t.not(stream.rstCode, 0, `the stream was reset (code ${stream.rstCode})`);
    const next = session.request({ ':path': '/ok/after-reset', ':authority': 'x' });
    const chunks: Buffer[] = [];
    for await (const chunk of next) chunks.push(chunk as Buffer);
    t.equal(Buffer.concat(chunks).toString(), 'good GET /ok/after-reset');
  });

  t.test('an upstream that never answers: 504 after the route timeout', async (t) => {
    const response = await httpRequest(port, { path: '/slow' });
    t.equal(response.status, 504);
    t.equal(response.body, 'upstream request timeout');
    t.equal(await proxy.admin.stat('cluster.hanging.upstream_rq_timeout'), 1);
    t.equal(await proxy.admin.stat('cluster.hanging.upstream_rq_504'), 1);
  });

  t.test('a stream with no activity for the route idle_timeout: 408 stream timeout', async (t) => {
    const response = await httpRequest(port, { path: '/idle' });
    t.equal(response.status, 408);
    t.equal(response.body, 'stream timeout');
    t.equal(await proxy.admin.stat('http.ingress.downstream_rq_idle_timeout'), 1);
  });

  t.test('the bystander connection carried on through all of it', async (t) => {
    const last = await askBystander();
    t.match(last?.head, /^HTTP\/1\.1 200 OK\r\n/);
    t.equal(last?.body, 'good GET /ok/bystander');
    t.equal(bystanderReplies, 2, 'both answers came on the one connection');
  });
});
