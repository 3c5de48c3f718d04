import { createHash, type X509Certificate } from 'node:crypto';
import type { SecureContext, TLSSocket } from 'node:tls';
import type { SslConnectionInfo } from '@nodevoy/core';
import { subjectAltNames } from '../material/certificate.js';
import type { VerifyOutcome } from '../verify/peer-verifier.js';

/** What the local certificate tells of itself; the same for every connection of one secure context. */
interface LocalCertificateInfo {
  readonly uriSans: readonly string[];
  readonly subject: string;
}
const NO_LOCAL_CERTIFICATE: LocalCertificateInfo = { uriSans: [], subject: '' };

/** Parsing the local certificate per handshake cost a seventh of a full handshake's CPU: once per context. */
const localCertificates = new WeakMap<SecureContext, LocalCertificateInfo>();

function localCertificateInfo(socket: TLSSocket, context: SecureContext | undefined): LocalCertificateInfo {
  const known = context && localCertificates.get(context);
  if (known) return known;
  const local = socket.getX509Certificate();
  const info = local ? { uriSans: subjectAltNames(local).filter((san) => san.type === 'URI').map((san) => san.value), subject: rfc2253(local.subject) } : NO_LOCAL_CERTIFICATE;
  if (context) localCertificates.set(context, info);
  return info;
}

/**
 * What a finished handshake established, as Envoy's `Ssl::ConnectionInfo` tells it. `context` is
 * the secure context the handshake used (its certificate is the local one).
 */
export function sslConnectionInfo(socket: TLSSocket, outcome: VerifyOutcome, sni: string, context: SecureContext | undefined): SslConnectionInfo {
  const peer = outcome.peer;
  const local = localCertificateInfo(socket, context);
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
    uriSanLocalCertificate: local.uriSans,
    subjectLocalCertificate: local.subject,
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
