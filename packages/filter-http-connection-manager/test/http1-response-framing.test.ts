// How nodevoy's HTTP/1.1 codec frames a response, rule by rule as Envoy's encodeHeadersBase does
// (conformance's http-response-framing compares the same against Envoy on the wire), and that
// llhttp's method numbers name every method Node knows.
import { METHODS } from 'node:http';
import t from 'tap';
import { HeaderMap } from '@nodevoy/http';
import { HTTPParser, LLHTTP_METHODS } from '@nodevoy/http';
import { responseHead } from '../src/codec/http1/response-head.js';
import { Http1TakeoverStream } from '../src/codec/http1-streams.js';

const GET = { isHead: false, isHttp10: false };
const HEAD = { isHead: true, isHttp10: false };
const HTTP10 = { isHead: false, isHttp10: true };

function head(status: number, extra: [string, string][], endStream: boolean, request = GET, close = false) {
  const { bytes, framing, closeDelimited } = responseHead(HeaderMap.from([[':status', String(status)], ...extra]), endStream, request, close);
  return { text: bytes.toString('latin1'), framing, closeDelimited };
}

t.test('the framing of each kind of response', async (t) => {
  const withLength = head(200, [['content-length', '5']], false);
  t.equal(withLength.text, 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n');
  t.equal(withLength.framing, 'raw', 'a length the response carries frames it');

  const streamed = head(200, [['content-type', 'text/plain']], false);
  t.equal(streamed.text, 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n');
  t.equal(streamed.framing, 'chunked');

  t.equal(head(200, [], true).text, 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n', 'headers-only: an explicit zero length');
  t.equal(head(204, [], true).text, 'HTTP/1.1 204 No Content\r\n\r\n', '204: neither length nor chunks');
  t.equal(head(204, [['content-length', '0']], true).text, 'HTTP/1.1 204 No Content\r\n\r\n', 'a 204 never says content-length (a local reply sets one)');
  const notModified = head(304, [['content-length', '1234']], false);
  t.equal(notModified.text, 'HTTP/1.1 304 Not Modified\r\ncontent-length: 1234\r\n\r\n', 'a 304 keeps the length of the resource');
  t.equal(notModified.framing, 'none', 'and has no body');
  t.equal(head(304, [], false).framing, 'none');
  t.equal(head(101, [['upgrade', 'websocket']], false).framing, 'none');

  const toHead = head(200, [], false, HEAD);
  t.equal(toHead.text, 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n', 'to HEAD: says chunked, as Envoy does');
  t.equal(toHead.framing, 'none', 'and sends no body');
  t.equal(head(200, [], true, HEAD).text, 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n', 'a headers-only answer to HEAD gets no zero length');

  const old = head(200, [], false, HTTP10);
  t.equal(old.text, 'HTTP/1.1 200 OK\r\n\r\n');
  t.ok(old.closeDelimited, 'an HTTP/1.0 body without a length runs to the close');
});

t.test('framing headers are the codec’s, and nothing can split the response', async (t) => {
  const { text } = head(200, [['transfer-encoding', 'gzip'], ['x-bad', 'a\r\nset-cookie: evil=1'], ['x-good', 'fine']], false);
  t.equal(text, 'HTTP/1.1 200 OK\r\nx-good: fine\r\ntransfer-encoding: chunked\r\n\r\n');
  t.equal(head(200, [['connection', 'keep-alive']], true, GET, true).text, 'HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n', 'closing: one connection: close');
  t.equal(head(200, [['x-latin', 'caf\u00e9']], true).text, 'HTTP/1.1 200 OK\r\nx-latin: caf\u00e9\r\ncontent-length: 0\r\n\r\n');
  t.equal(responseHead(HeaderMap.from([[':status', '200'], ['x-latin', 'caf\u00e9']]), true, GET, false).bytes.includes(Buffer.from([0xe9])), true, 'header bytes go out as latin1');
});

t.test('every method Node knows parses to its own name', async (t) => {
  for (const method of METHODS) {
    const parser = new HTTPParser();
    parser.initialize(HTTPParser.REQUEST, {}, 0, HTTPParser.kLenientNone);
    let seen: string | undefined;
    parser[HTTPParser.kOnHeadersComplete] = (_major: number, _minor: number, _headers: string[], index: number) => {
      seen = LLHTTP_METHODS[index];
      return 0;
    };
    parser.execute(Buffer.from(`${method} / HTTP/1.1\r\nhost: a\r\n\r\n`));
    parser.close();
    t.equal(seen, method);
  }
});

t.test('a CONNECT answer cannot be split either', async (t) => {
  const written: Buffer[] = [];
  const wire = { write: (data: Buffer) => void written.push(data), writable: true, onWritable() {}, readDisable() {}, endWrite() {}, closeWhenWritten() {}, abort() {} };
  const request = { method: 'CONNECT', url: 'example.test:443', versionMajor: 1, versionMinor: 1, rawHeaders: ['host', 'example.test:443'], shouldKeepAlive: true };
  const options = { enableTrailers: false, allowChunkedLength: false, defaultHostForHttp10: undefined, maxHeadersCount: 100 };
  const stream = new Http1TakeoverStream(request, wire, 'connect', options);
  stream.respondHeaders(HeaderMap.from([[':status', '200'], ['x-bad', 'a\r\nx-injected: 1'], ['x-good', 'fine']]), false);
  t.equal(Buffer.concat(written).toString('latin1'), 'HTTP/1.1 200 OK\r\nx-good: fine\r\n\r\n');
});
