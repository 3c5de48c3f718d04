import { createHash, type X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { SslConnectionInfo } from '@nodevoy/core';
import { subjectAltNames } from '../material/certificate.js';
import type { VerifyOutcome } from '../verify/peer-verifier.js';

/** What a finished handshake established, as Envoy's `Ssl::ConnectionInfo` tells it. */
export function sslConnectionInfo(socket: TLSSocket, outcome: VerifyOutcome, sni: string): SslConnectionInfo {
  const peer = socket.getPeerX509Certificate();
  const local = socket.getX509Certificate();
  const peerSans = peer ? subjectAltNames(peer) : [];
  return {
    tlsVersion: socket.getProtocol() ?? '',
    ciphersuite: socket.getCipher()?.name ?? '',
    alpn: typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : '',
    sni,
    sessionReused: socket.isSessionReused(),
    peerCertificatePresented: outcome.presented,
    peerCertificateValidated: outcome.validated,
    uriSanPeerCertificate: peerSans.filter((san) => san.type === 'URI').map((san) => san.value),
    dnsSansPeerCertificate: peerSans.filter((san) => san.type === 'DNS').map((san) => san.value),
    subjectPeerCertificate: peer ? rfc2253(peer.subject) : '',
    issuerPeerCertificate: peer ? rfc2253(peer.issuer) : '',
    serialNumberPeerCertificate: peer ? peer.serialNumber.toLowerCase() : '',
    sha256PeerCertificateDigest: peer ? createHash('sha256').update(peer.raw).digest('hex') : '',
    pemPeerCertificate: peer ? peer.toString() : '',
    pemPeerCertificateChain: peer ? peerChainPem(socket) : '',
    uriSanLocalCertificate: local ? subjectAltNames(local).filter((san) => san.type === 'URI').map((san) => san.value) : [],
    subjectLocalCertificate: local ? rfc2253(local.subject) : '',
  };
}

/** The peer's certificates as node:tls verified them, leaf first, each once. */
function peerChainPem(socket: TLSSocket): string {
  const pems: string[] = [];
  const seen = new Set<string>();
  for (let certificate = socket.getPeerCertificate(true); certificate?.raw && !seen.has(certificate.fingerprint256); certificate = certificate.issuerCertificate) {
    seen.add(certificate.fingerprint256);
    pems.push(`-----BEGIN CERTIFICATE-----\n${certificate.raw.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`);
  }
  return pems.join('');
}

/** node:crypto gives a DN one attribute a line, most significant first; Envoy prints RFC 2253: reversed, comma-separated. */
function rfc2253(name: X509Certificate['subject']): string {
  return name
    .split('\n')
    .filter((part) => part !== '')
    .reverse()
    .join(',');
}
