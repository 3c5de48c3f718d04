import { createServer } from 'node:http2';
import type { Socket } from 'node:net';

/**
 * `grpc-echo`: gRPC over HTTP/2 cleartext, byte messages. `/test.Echo/Say` answers the request's
 * message prefixed with `echo:`, with response headers telling what the request's `content-type`,
 * `te` and `grpc-accept-encoding` were, and a trailer `x-trailer: yes`; `/test.Echo/Partial` the
 * same message, then INTERNAL in its trailers; `/test.Echo/Fail` answers trailers-only
 * NOT_FOUND; anything else UNIMPLEMENTED.
 */
const server = createServer();
server.on('stream', (stream, headers) => {
  stream.on('error', () => {});
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => {
    const path = headers[':path'];
    if (path !== '/test.Echo/Say' && path !== '/test.Echo/Partial') {
      const [status, message] = path === '/test.Echo/Fail' ? ['5', 'no such thing'] : ['12', 'unknown method'];
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': status, 'grpc-message': message }, { endStream: true });
      return;
    }
    const body = Buffer.concat(chunks);
    const message = Buffer.concat([Buffer.from('echo:'), body.length >= 5 ? body.subarray(5) : Buffer.alloc(0)]);
    const framed = Buffer.alloc(5 + message.length);
    framed.writeUInt32BE(message.length, 1);
    message.copy(framed, 5);
    stream.respond(
      {
        ':status': 200,
        'content-type': 'application/grpc',
        'x-seen-content-type': String(headers['content-type']),
        'x-seen-te': String(headers['te']),
        'x-seen-grpc-accept-encoding': String(headers['grpc-accept-encoding']),
        'x-seen-content-length': String(headers['content-length']),
      },
      { waitForTrailers: true },
    );
    const trailers = path === '/test.Echo/Partial' ? { 'grpc-status': '13', 'grpc-message': 'broke midway' } : { 'grpc-status': '0', 'grpc-message': 'OK', 'x-trailer': 'yes' };
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    stream.end(framed);
  });
});

export function serveGrpcEcho(socket: Socket): void {
  server.emit('connection', socket);
}
