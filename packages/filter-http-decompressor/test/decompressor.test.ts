// envoy.filters.http.decompressor with the gzip library, through an in-process nodevoy with real
// HTTP/1.1 and HTTP/2 clients: gzip responses and requests decoded as they stream (Content-Length
// and the coding removed, a coding listed after it kept), Accept-Encoding advertised upstream,
// no-transform honoured, the byte-count trailers, bad input and a compression bomb ending the
// output without failing the stream (counted as Envoy counts them), decompressor.* stats.
import { gzipSync } from 'node:zlib';
import t from 'tap';
import { ADMIN, cluster, configProblems, http2Session, httpConnectionManager, httpFilterCompliance, httpRequest, startHttpUpstream, startInProcess, tcpListener, type TestLike, type UpstreamHandler } from '@nodevoy/test-kit';

const GUNZIP = 'type.googleapis.com/envoy.extensions.compression.gzip.decompressor.v3.Gzip';
const DECOMPRESSOR = 'type.googleapis.com/envoy.extensions.filters.http.decompressor.v3.Decompressor';
const TEXT = 'It was the best of times, it was the worst of times. '.repeat(30);

function filter(fields: Record<string, unknown> = {}, library: Record<string, unknown> = {}): string {
  const typed = { '@type': DECOMPRESSOR, decompressor_library: { name: 'lib', typed_config: { '@type': GUNZIP, ...library } }, ...fields };
  return `          - name: decompressor\n            typed_config: ${JSON.stringify(typed)}\n`;
}

function config(upstreamPort: number, httpFilters: string, enableTrailers = false): string {
  const routes = `            virtual_hosts: [{ name: all, domains: ["*"], routes: [{ match: { prefix: / }, route: { cluster: upstream } }] }]\n`;
  const hcm = httpConnectionManager({ httpFilters, routeConfig: routes, extra: enableTrailers ? '          http_protocol_options: { enable_trailers: true }\n' : '' });
  return `${ADMIN}static_resources:
  listeners:
${tcpListener('http', hcm)}  clusters:
${cluster('upstream', [{ port: upstreamPort }])}`;
}

/** An upstream answering what the request's x-reply header names: gzip of TEXT, garbage, a bomb. */
const replies: UpstreamHandler = (req, res) => {
  const kind = String(req.headers['x-reply'] ?? 'gzip');
  const bodies: Record<string, Buffer> = {
    gzip: gzipSync(TEXT),
    garbage: Buffer.from('this is not gzip at all, not even close'),
    bomb: gzipSync(Buffer.alloc(2 * 1024 * 1024)),
    long: gzipSync(TEXT.repeat(40)),
    plain: Buffer.from(TEXT),
  };
  const body = bodies[kind] ?? Buffer.alloc(0);
  res.setHeader('content-type', 'text/plain');
  res.setHeader('content-encoding', String(req.headers['x-reply-encoding'] ?? 'gzip'));
  if (req.headers['x-reply-cache-control']) res.setHeader('cache-control', String(req.headers['x-reply-cache-control']));
  res.setHeader('content-length', body.length);
  res.end(body);
};

async function setup(t: TestLike, httpFilters = filter(), handler: UpstreamHandler = replies, enableTrailers = false) {
  const upstream = await startHttpUpstream(t, handler);
  const proxy = await startInProcess(t, config(upstream.port, httpFilters, enableTrailers));
  return { upstream, proxy, port: proxy.port('http') };
}

const stat = (name: string) => `http.ingress.decompressor.lib.gzip.${name}`;

t.test('a gzip response is decoded on its way: no Content-Length, no Content-Encoding; Accept-Encoding advertised upstream', async (t) => {
  const { upstream, proxy, port } = await setup(t);
  const response = await httpRequest(port, { headers: { 'accept-encoding': 'gzip;q=0.5, br' } });
  t.equal(response.body, TEXT);
  t.equal(response.headers['content-encoding'], undefined);
  t.equal(response.headers['content-length'], undefined);
  t.equal(upstream.requests[0]?.headers['accept-encoding'], 'br,gzip', 'gzip moved last, without its q-value, as Envoy does');
  await httpRequest(port);
  t.equal(upstream.requests[1]?.headers['accept-encoding'], 'gzip');
  t.equal(proxy.stat(stat('response.decompressed')), 2);
  t.equal(proxy.stat(stat('response.total_uncompressed_bytes')), 2 * TEXT.length);
  t.equal(proxy.stat(stat('response.total_compressed_bytes')), 2 * gzipSync(TEXT).length);
});

t.test('only a first coding of gzip is decoded; the codings after it stay; no-transform is honoured unless ignored', async (t) => {
  const { proxy, port } = await setup(t);
  const layered = await httpRequest(port, { headers: { 'x-reply-encoding': 'GZIP, br' } });
  t.equal(layered.headers['content-encoding'], 'br');
  t.equal(layered.body, TEXT);
  const other = await httpRequest(port, { headers: { 'x-reply': 'plain', 'x-reply-encoding': 'br' } });
  t.equal(other.headers['content-encoding'], 'br');
  t.equal(other.body, TEXT);
  const kept = await httpRequest(port, { headers: { 'x-reply-cache-control': 'no-transform' } });
  t.equal(kept.headers['content-encoding'], 'gzip');
  t.equal(proxy.stat(stat('response.not_decompressed')), 2);

  const ignoring = await setup(t, filter({ response_direction_config: { common_config: { ignore_no_transform_header: true } } }));
  const decoded = await httpRequest(ignoring.port, { headers: { 'x-reply-cache-control': 'no-transform' } });
  t.equal(decoded.body, TEXT);
});

t.test('bad input and a compression bomb end the output, not the stream; counted as zlib_data_error', async (t) => {
  const { proxy, port } = await setup(t);
  const garbage = await httpRequest(port, { headers: { 'x-reply': 'garbage' } });
  t.equal(garbage.status, 200);
  t.equal(garbage.body, '');
  const bomb = await httpRequest(port, { headers: { 'x-reply': 'bomb' } });
  t.equal(bomb.status, 200);
  const input = gzipSync(Buffer.alloc(2 * 1024 * 1024)).length;
  t.ok(bomb.bodyBytes.length > 100 * input && bomb.bodyBytes.length <= 100 * input + 4096, `stopped just past 100 times its ${input} bytes (${bomb.bodyBytes.length})`);
  t.equal(proxy.stat(stat('decompressor_library.zlib_data_error')), 2);
  const after = await httpRequest(port);
  t.equal(after.body, TEXT, 'and the next request is served');

  const tighter = await setup(t, filter({}, { max_inflate_ratio: 2 }));
  t.equal((await httpRequest(tighter.port)).body, TEXT, 'checked per full 4 KiB of output, as Envoy: a short body passes');
  const limited = await httpRequest(tighter.port, { headers: { 'x-reply': 'long' } });
  t.equal(limited.body, TEXT.repeat(40).slice(0, 4096), 'max_inflate_ratio 2 stops a long one at its first 4 KiB');
});

t.test('a gzip request body is decoded before it goes up; a body of another coding goes as it came', async (t) => {
  const { upstream, proxy, port } = await setup(t, filter(), (_req, res) => res.end('ok'));
  await httpRequest(port, { method: 'POST', body: gzipSync(TEXT), headers: { 'content-encoding': 'gzip' } });
  t.equal(upstream.requests[0]?.body, TEXT);
  t.equal(upstream.requests[0]?.headers['content-encoding'], undefined);
  t.equal(upstream.requests[0]?.headers['content-length'], undefined);
  await httpRequest(port, { method: 'POST', body: 'as it is', headers: { 'content-encoding': 'identity' } });
  t.equal(upstream.requests[1]?.body, 'as it is');
  t.equal(proxy.stat(stat('request.decompressed')), 1);
  t.equal(proxy.stat(stat('request.not_decompressed')), 1, 'a headers-only request is not counted');
});

t.test('the body ends with trailers counting the bytes before and after (HTTP/2 client; HTTP/1.1 with enable_trailers)', async (t) => {
  const { port } = await setup(t);
  const session = await http2Session(t, port);
  const stream = session.request({ ':path': '/' });
  const trailers = new Promise<Record<string, string>>((resolve) => stream.once('trailers', resolve));
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  t.equal(Buffer.concat(chunks).toString(), TEXT);
  const got = await trailers;
  t.equal(got['x-envoy-decompressor-lib-compressed-bytes'], String(gzipSync(TEXT).length));
  t.equal(got['x-envoy-decompressor-lib-uncompressed-bytes'], String(TEXT.length));

  const http1 = await setup(t, filter(), replies, true);
  const response = await httpRequest(http1.port);
  t.equal(response.body, TEXT);
  t.equal(response.trailers['x-envoy-decompressor-lib-uncompressed-bytes'], String(TEXT.length));
});

t.test('response decompression off: nothing decoded, nothing advertised', async (t) => {
  const { upstream, port } = await setup(t, filter({ response_direction_config: { common_config: { enabled: { default_value: false, runtime_key: 'decompress.response' } } } }));
  const response = await httpRequest(port);
  t.equal(response.headers['content-encoding'], 'gzip');
  t.equal(upstream.requests[0]?.headers['accept-encoding'], undefined);
});

t.test('config errors name the field', async (t) => {
  t.match(configProblems(config(1, `          - name: d\n            typed_config: { "@type": ${DECOMPRESSOR} }\n`)), /missing required field 'decompressor_library'/);
  t.match(configProblems(config(1, filter({}, { max_inflate_ratio: 2000 }))), /max_inflate_ratio: value must be/);
  t.match(configProblems(config(1, filter({}, { '@type': 'type.googleapis.com/envoy.extensions.compression.brotli.decompressor.v3.Brotli' }))), /does not ship|not loaded/);
});

t.test('compliance: bodies without a coding pass untouched', async (t) => {
  httpFilterCompliance(t, {
    name: 'envoy.filters.http.decompressor',
    typedConfig: { '@type': DECOMPRESSOR, decompressor_library: { name: 'lib', typed_config: { '@type': GUNZIP } } },
    badConfigs: [{ typedConfig: { '@type': DECOMPRESSOR, decompressor_library: { name: 'lib', typed_config: { '@type': GUNZIP, window_bits: 3 } } }, error: /window_bits: value must be/ }],
  });
});
