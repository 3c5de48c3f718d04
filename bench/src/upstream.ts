// Benchmark upstreams, in their own process: an echo server, a sink that discards, and an HTTP
// server answering every request with a small body. Prints their ports once all listen.
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
echo.maxConnections = 100_000;
const ports = { echo: await listen(echo), sink: await listen(sink), http: await listen(http) };
process.stdout.write(`${JSON.stringify(ports)}\n`);
