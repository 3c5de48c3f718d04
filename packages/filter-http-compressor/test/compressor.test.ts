// envoy.filters.http.compressor with gzip and brotli, through an in-process nodevoy with real
// HTTP/1.1 and HTTP/2 clients: what a client that accepts an encoding gets (the body it decodes,
// Content-Encoding, Vary, no Content-Length), what stays uncompressed and why (no
// Accept-Encoding, too short, another content type, no-transform, encoded already, a status
// listed), Accept-Encoding negotiated across two compressors, each chunk flushed as it comes,
// trailers after the finished stream, request bodies compressed, ETags, per-route config,
// compressor.* stats, config errors.
import { once } from 'node:events';
import { request } from 'node:http';
import { brotliDecompressSync, createGunzip, gunzipSync } from 'node:zlib';
import t from 'tap';
import { ADMIN, cluster, configProblems, http2Session, httpConnectionManager, httpFilterCompliance, httpRequest, startHttpUpstream, startInProcess, tcpListener, type TestLike, type UpstreamHandler } from '@nodevoy/test-kit';

const GZIP = 'type.googleapis.com/envoy.extensions.compression.gzip.compressor.v3.Gzip';
const BROTLI = 'type.googleapis.com/envoy.extensions.compression.brotli.compressor.v3.Brotli';
const COMPRESSOR = 'type.googleapis.com/envoy.extensions.filters.http.compressor.v3.Compressor';
const PER_ROUTE = 'type.googleapis.com/envoy.extensions.filters.http.compressor.v3.CompressorPerRoute';
const TEXT = 'All happy families are alike; each unhappy family is unhappy in its own way. '.repeat(40);

function compressorFilter(name: string, fields: Record<string, unknown> = {}, library = { name: 'text', typed_config: { '@type': GZIP } }): string {
  return `          - name: ${name}\n            typed_config: ${JSON.stringify({ '@type': COMPRESSOR, compressor_library: library, ...fields })}\n`;
}

interface Layout {
  readonly httpFilters?: string;
  readonly routes?: Record<string, Record<string, unknown> | undefined>;
}

function config(upstreamPort: number, layout: Layout): string {
  const routes = Object.entries(layout.routes ?? { '/': undefined }).map(([prefix, perFilter]) => ({
    match: { prefix },
    route: { cluster: 'upstream' },
    ...(perFilter ? { typed_per_filter_config: perFilter } : {}),
  }));
  const vhost = { name: 'all', domains: ['*'], routes };
  return `${ADMIN}static_resources:
  listeners:
${tcpListener('http', httpConnectionManager({ httpFilters: layout.httpFilters ?? compressorFilter('compressor'), routeConfig: `            virtual_hosts: [${JSON.stringify(vhost)}]\n` }))}  clusters:
${cluster('upstream', [{ port: upstreamPort }])}`;
}

/** An upstream that answers TEXT (or what the request's x-reply-* headers ask for). */
const textReply: UpstreamHandler = (req, res) => {
  const body = req.headers['x-reply-body'] === undefined ? TEXT : String(req.headers['x-reply-body']);
  res.statusCode = Number(req.headers['x-reply-status'] ?? 200);
  res.setHeader('content-type', String(req.headers['x-reply-type'] ?? 'text/plain; charset=utf-8'));
  for (const name of ['etag', 'cache-control', 'content-encoding', 'vary']) {
    const value = req.headers[`x-reply-${name}`];
    if (value !== undefined) res.setHeader(name, String(value));
  }
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
};

async function setup(t: TestLike, layout: Layout = {}, handler: UpstreamHandler = textReply) {
  const upstream = await startHttpUpstream(t, handler);
  const proxy = await startInProcess(t, config(upstream.port, layout));
  return { upstream, proxy, port: proxy.port('http') };
}

const stat = (name: string) => `http.ingress.compressor.text.gzip.${name}`;

t.test('a client that accepts gzip gets the body gzipped, without Content-Length, with Vary; counted', async (t) => {
  const { proxy, port } = await setup(t);
  const response = await httpRequest(port, { headers: { 'accept-encoding': 'gzip' } });
  t.equal(response.status, 200);
  t.equal(response.headers['content-encoding'], 'gzip');
  t.equal(response.headers['content-length'], undefined);
  t.equal(response.headers['transfer-encoding'], 'chunked');
  t.equal(response.headers.vary, 'Accept-Encoding');
  t.equal(gunzipSync(response.bodyBytes).toString(), TEXT);
  t.ok(response.bodyBytes.length < TEXT.length / 4, 'and it is smaller');
  t.equal(proxy.stat(stat('compressed')), 1);
  t.equal(proxy.stat(stat('header_compressor_used')), 1);
  t.equal(proxy.stat(stat('total_uncompressed_bytes')), TEXT.length);
  t.equal(proxy.stat(stat('total_compressed_bytes')), response.bodyBytes.length);
  t.equal(proxy.stat(stat('request.not_compressed')), 1, 'the request side has its own stats');
});

t.test('what stays uncompressed, and what each case counts', async (t) => {
  const { proxy, port } = await setup(t);
  const plain = async (headers: Record<string, string>, method = 'GET') => {
    const response = await httpRequest(port, { method, headers });
    t.equal(response.headers['content-encoding'], headers['x-reply-content-encoding'], `${JSON.stringify(headers)}: not compressed`);
    if (method !== 'HEAD') t.equal(response.body, headers['x-reply-body'] ?? TEXT);
    return response;
  };
  const noAccept = await plain({});
  t.equal(noAccept.headers.vary, 'Accept-Encoding', 'compressible: a cache must know another client may get it compressed');
  t.equal(proxy.stat(stat('no_accept_header')), 1);
  const short = await plain({ 'accept-encoding': 'gzip', 'x-reply-body': 'too short to bother' });
  t.equal(short.headers.vary, undefined);
  t.equal(proxy.stat(stat('content_length_too_small')), 1);
  const image = await plain({ 'accept-encoding': 'gzip', 'x-reply-type': 'image/png' });
  t.equal(image.headers.vary, undefined);
  await plain({ 'accept-encoding': 'gzip', 'x-reply-cache-control': 'public, No-Transform' });
  await plain({ 'accept-encoding': 'gzip', 'x-reply-content-encoding': 'identity' });
  const head = await plain({ 'accept-encoding': 'gzip' }, 'HEAD');
  t.equal(head.headers['content-length'], String(TEXT.length), 'a HEAD response keeps its length');
  await plain({ 'accept-encoding': 'identity' });
  t.equal(proxy.stat(stat('header_identity')), 1);
  await plain({ 'accept-encoding': 'gzip;q=0' });
  await plain({ 'accept-encoding': 'deflate' });
  t.equal(proxy.stat(stat('header_not_valid')), 3, 'q=0, an encoding no compressor has, and image/png (no compressor serves it)');
  t.equal(proxy.stat(stat('compressed')), 0);
  t.equal(proxy.stat(stat('not_compressed')), 9);
});

t.test('two compressors: the client’s q-values choose, ties go to the first listed, choose_first breaks them', async (t) => {
  const filters = compressorFilter('gzip') + compressorFilter('brotli', {}, { name: 'text', typed_config: { '@type': BROTLI } });
  const { proxy, port } = await setup(t, { httpFilters: filters });
  const decode = (encoding: string | undefined, bytes: Buffer) => (encoding === 'br' ? brotliDecompressSync(bytes) : encoding === 'gzip' ? gunzipSync(bytes) : bytes).toString();
  const cases: [string, string | undefined][] = [
    ['gzip;q=0.5, br', 'br'],
    ['br;q=0.9, gzip', 'gzip'],
    ['gzip, br', 'gzip'],
    ['*', 'gzip'],
    ['*;q=1, gzip;q=0', 'br'],
    ['identity', undefined],
  ];
  for (const [accept, expected] of cases) {
    const response = await httpRequest(port, { headers: { 'accept-encoding': accept } });
    t.equal(response.headers['content-encoding'], expected, accept);
    t.equal(decode(response.headers['content-encoding'], response.bodyBytes), TEXT);
  }
  t.equal(proxy.stat('http.ingress.compressor.text.brotli.header_compressor_used'), 1);
  t.equal(proxy.stat('http.ingress.compressor.text.gzip.header_compressor_overshadowed'), 1);
  t.equal(proxy.stat('http.ingress.compressor.text.brotli.header_wildcard'), 2);

  const preferBrotli = compressorFilter('gzip') + compressorFilter('brotli', { choose_first: true }, { name: 'text', typed_config: { '@type': BROTLI } });
  const second = await setup(t, { httpFilters: preferBrotli });
  const tie = await httpRequest(second.port, { headers: { 'accept-encoding': 'gzip, br' } });
  t.equal(tie.headers['content-encoding'], 'br', 'choose_first wins a tie');
});

t.test('each chunk is flushed as it comes: the client decodes the first part before the upstream sends the rest', async (t) => {
  let clientDecodedFirst!: () => void;
  const decodedFirst = new Promise<void>((resolve) => (clientDecodedFirst = resolve));
  const first = 'first part, '.repeat(20);
  const rest = 'and the rest. '.repeat(200);
  const { port } = await setup(t, {}, (_req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.write(first);
    void decodedFirst.then(() => res.end(rest));
  });
  const req = request({ host: '127.0.0.1', port, headers: { 'accept-encoding': 'gzip' }, agent: false });
  req.end();
  const [response] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
  t.equal(response.headers['content-encoding'], 'gzip');
  const gunzip = createGunzip();
  response.pipe(gunzip);
  let decoded = '';
  for await (const chunk of gunzip) {
    decoded += String(chunk);
    if (decoded === first) clientDecodedFirst();
  }
  t.equal(decoded, first + rest);
});

t.test('a large body through a client that reads slowly arrives whole', async (t) => {
  const big = Buffer.alloc(4 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 10)) % 251;
  const { proxy, port } = await setup(t, {}, (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(big);
  });
  const req = request({ host: '127.0.0.1', port, headers: { 'accept-encoding': 'gzip' }, agent: false });
  req.end();
  const [response] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of response) {
    chunks.push(chunk as Buffer);
    if (chunks.length % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  t.ok(gunzipSync(Buffer.concat(chunks)).equals(big), 'every byte, in order');
  t.equal(proxy.stat(stat('total_uncompressed_bytes')), big.length);
});

t.test('trailers come after the finished compressed body (HTTP/2 client, chunked upstream)', async (t) => {
  const { port } = await setup(t, {}, (_req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.setHeader('trailer', 'x-checksum');
    res.write(TEXT);
    res.addTrailers({ 'x-checksum': 'abc' });
    res.end();
  });
  const session = await http2Session(t, port);
  const stream = session.request({ ':path': '/', 'accept-encoding': 'gzip' });
  const [headers] = (await once(stream, 'response')) as [Record<string, string>];
  const trailers = new Promise<Record<string, string>>((resolve) => stream.once('trailers', resolve));
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  t.equal(headers['content-encoding'], 'gzip');
  t.equal(gunzipSync(Buffer.concat(chunks)).toString(), TEXT, 'a complete gzip stream before the trailers');
  t.equal((await trailers)['x-checksum'], 'abc');
});

t.test('request_direction_config compresses request bodies on their way up', async (t) => {
  const filter = compressorFilter('compressor', { request_direction_config: { common_config: { content_type: ['text/plain'] } } });
  const { upstream, proxy, port } = await setup(t, { httpFilters: filter });
  await httpRequest(port, { method: 'POST', body: TEXT, headers: { 'content-type': 'text/plain' } });
  const seen = upstream.requests[0];
  t.equal(seen?.headers['content-encoding'], 'gzip');
  t.equal(seen?.headers['content-length'], undefined);
  t.equal(gunzipSync(seen?.bodyBytes ?? Buffer.alloc(0)).toString(), TEXT);
  t.equal(proxy.stat(stat('request.compressed')), 1);
  t.equal(proxy.stat(stat('request.total_uncompressed_bytes')), TEXT.length);
  await httpRequest(port, { method: 'POST', body: TEXT, headers: { 'content-type': 'application/octet-stream' } });
  t.equal(upstream.requests[1]?.body, TEXT, 'another content type goes up as it came');
  t.equal(proxy.stat(stat('not_compressed')), 2, 'without response_direction_config, response stats keep the names without response.');
});

t.test('ETags: a strong one is removed, a weak one kept; weaken_etag_on_compress; disable_on_etag_header', async (t) => {
  const plain = await setup(t);
  const strong = await httpRequest(plain.port, { headers: { 'accept-encoding': 'gzip', 'x-reply-etag': '"v1"' } });
  t.equal(strong.headers.etag, undefined);
  const weak = await httpRequest(plain.port, { headers: { 'accept-encoding': 'gzip', 'x-reply-etag': 'W/"v1"' } });
  t.equal(weak.headers.etag, 'W/"v1"');

  const weakening = await setup(t, { httpFilters: compressorFilter('compressor', { response_direction_config: { weaken_etag_on_compress: true, disable_on_etag_header: true } }) });
  const weakened = await httpRequest(weakening.port, { headers: { 'accept-encoding': 'gzip', 'x-reply-etag': '"v1"' } });
  t.equal(weakened.headers['content-encoding'], 'gzip', 'weakening wins over disable_on_etag_header');
  t.equal(weakened.headers.etag, 'W/"v1"');

  const disabling = await setup(t, { httpFilters: compressorFilter('compressor', { response_direction_config: { disable_on_etag_header: true } }) });
  const kept = await httpRequest(disabling.port, { headers: { 'accept-encoding': 'gzip', 'x-reply-etag': '"v1"' } });
  t.equal(kept.headers['content-encoding'], undefined);
  t.equal(kept.headers.etag, '"v1"');
  t.equal(disabling.proxy.stat(stat('not_compressed_etag')), 1);
  t.equal(disabling.proxy.stat(stat('response.not_compressed')), 1, 'response_direction_config given: response. stats');
});

t.test('uncompressible_response_codes, and the status header saying why', async (t) => {
  const filter = compressorFilter('compressor', { response_direction_config: { uncompressible_response_codes: [206], status_header_enabled: true, common_config: { min_content_length: 100 } } });
  const { port } = await setup(t, { httpFilters: filter });
  const partial = await httpRequest(port, { headers: { 'accept-encoding': 'gzip', 'x-reply-status': '206' } });
  t.equal(partial.headers['content-encoding'], undefined);
  t.equal(partial.headers['x-envoy-compression-status'], 'gzip;StatusCodeNotAllowed');
  const short = await httpRequest(port, { headers: { 'accept-encoding': 'gzip', 'x-reply-body': 'short' } });
  t.equal(short.headers['x-envoy-compression-status'], 'gzip;ContentLengthTooSmall');
  const image = await httpRequest(port, { headers: { 'accept-encoding': 'gzip', 'x-reply-type': 'image/png' } });
  t.equal(image.headers['x-envoy-compression-status'], 'gzip;ContentTypeNotAllowed');
  const both = await httpRequest(port, { headers: { 'accept-encoding': 'gzip', 'x-reply-status': '206', 'x-reply-type': 'image/png' } });
  t.equal(both.headers['x-envoy-compression-status'], 'gzip;ContentTypeNotAllowed', 'the content type is judged before the status code, as Envoy 1.40 does');
  const done = await httpRequest(port, { headers: { 'accept-encoding': 'gzip' } });
  t.equal(done.headers['x-envoy-compression-status'], `gzip;Compressed;OriginalLength=${TEXT.length}`);
});

t.test('per route: disabled, or on with its own remove_accept_encoding_header', async (t) => {
  const { upstream, port } = await setup(t, {
    routes: {
      '/off': { compressor: { '@type': PER_ROUTE, disabled: true } },
      '/strip': { compressor: { '@type': PER_ROUTE, overrides: { response_direction_config: { remove_accept_encoding_header: true } } } },
      '/': undefined,
    },
  });
  const off = await httpRequest(port, { path: '/off', headers: { 'accept-encoding': 'gzip' } });
  t.equal(off.headers['content-encoding'], undefined);
  t.equal(off.headers.vary, undefined);
  t.equal(upstream.requests[0]?.headers['accept-encoding'], 'gzip');
  const strip = await httpRequest(port, { path: '/strip', headers: { 'accept-encoding': 'gzip' } });
  t.equal(strip.headers['content-encoding'], 'gzip');
  t.equal(upstream.requests[1]?.headers['accept-encoding'], undefined, 'the upstream never sees Accept-Encoding');
});

t.test('config errors name the field', async (t) => {
  const bad = (filter: string) => configProblems(config(1, { httpFilters: filter }));
  t.match(bad(`          - name: c\n            typed_config: { "@type": ${COMPRESSOR} }\n`), /compressor_library/);
  t.match(bad(compressorFilter('c', {}, { name: 'z', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.compression.zstd.compressor.v3.Zstd' } } as never)), /compressor_library\.typed_config\.@type/);
  t.match(bad(compressorFilter('c', {}, { name: 'g', typed_config: { '@type': GZIP, window_bits: 20 } } as never)), /window_bits: value must be/);
  t.match(bad(compressorFilter('c', { response_direction_config: { uncompressible_response_codes: [99] } })), /uncompressible_response_codes/);
});

t.test('compliance: a client without Accept-Encoding sees nothing change', async (t) => {
  httpFilterCompliance(t, {
    name: 'envoy.filters.http.compressor',
    typedConfig: { '@type': COMPRESSOR, compressor_library: { name: 'text', typed_config: { '@type': GZIP } } },
    badConfigs: [{ typedConfig: { '@type': COMPRESSOR }, error: /missing required field 'compressor_library'/ }],
  });
});
