// The reference for the TLS figures: the least a Node.js TLS proxy can do, `tls.createServer`
// with the certificate and `socket.pipe()` both ways to a plaintext upstream. Usage: tls-proxy
// <cert> <key> <bulk upstream port> <echo upstream port>; prints {bulk, echo}, its two ports.
import { readFileSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';

const [certPath = '', keyPath = '', bulkUpstream = '0', echoUpstream = '0'] = process.argv.slice(2);
const credentials = { cert: readFileSync(certPath), key: readFileSync(keyPath) };

function listen(upstreamPort: number): Promise<number> {
  const server = createServer(credentials, (client: TLSSocket) => {
    client.setNoDelay(true);
    const upstream = connect({ host: '127.0.0.1', port: upstreamPort, noDelay: true });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  server.on('tlsClientError', () => {});
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

const ports = { bulk: await listen(Number(bulkUpstream)), echo: await listen(Number(echoUpstream)) };
process.stdout.write(`${JSON.stringify(ports)}\n`);
