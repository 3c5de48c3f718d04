// Benchmark upstreams, in their own process: an echo server, a sink that discards, an HTTP
// server answering every request with a small body, and a firehose that sends each connection
// 4 MiB and its FIN. Prints their ports once all listen.
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

const echo = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
  socket.on('error', () => {});
  socket.pipe(socket);
});
const sink = createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => {});
  socket.resume();
});
const http = createHttpServer({ keepAliveTimeout: 60_000 }, (_request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain', 'content-length': 13 });
  response.end('hello, bench\n');
});
const FIREHOSE_CHUNK = Buffer.alloc(64 * 1024, 1);
const firehose = createServer((socket) => {
  socket.on('error', () => {});
  let chunks = 64;
  const pump = () => {
    while (chunks-- > 0) if (!socket.write(FIREHOSE_CHUNK)) return void socket.once('drain', pump);
    socket.end();
  };
  pump();
});
echo.maxConnections = 100_000;
const ports = { echo: await listen(echo), sink: await listen(sink), http: await listen(http), firehose: await listen(firehose) };
process.stdout.write(`${JSON.stringify(ports)}\n`);
