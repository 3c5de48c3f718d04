// Benchmark upstreams, in their own process: an echo server and a sink that discards.
// Prints `{"echo": port, "sink": port}` once both listen.
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
echo.maxConnections = 100_000;
const ports = { echo: await listen(echo), sink: await listen(sink) };
process.stdout.write(`${JSON.stringify(ports)}\n`);
