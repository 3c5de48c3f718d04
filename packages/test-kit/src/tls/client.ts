import { connect } from 'node:tls';
import type { IssuedCertificate } from './certificates.js';

/**
 * A TLS client's one exchange with 127.0.0.1:`port`: verifies the server against `ca` for
 * `servername`, presents `certificate` if given, sends `payload` and ends; resolves with what came
 * back before the connection closed ('' when the handshake or the proxy refused it).
 */
export async function tlsExchange(port: number, ca: string, certificate?: IssuedCertificate, payload = 'ping', servername = 'localhost'): Promise<string> {
  const socket = connect({ host: '127.0.0.1', port, ca, servername, ...(certificate ? { cert: certificate.cert, key: certificate.key } : {}) });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  socket.once('secureConnect', () => socket.end(payload));
  // Not events.once: it rejects on the 'error' a refused handshake raises.
  await new Promise((resolve) => socket.once('close', resolve));
  return Buffer.concat(chunks).toString();
}
