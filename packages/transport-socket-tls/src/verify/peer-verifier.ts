import { createHash, type X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { subjectAltNames } from '../material/certificate.js';
import type { ValidationMaterial } from '../material/validation.js';
import type { VerifyFailure } from '../stats.js';

/** What checking a peer's certificate found. */
export interface VerifyOutcome {
  /** Whether the connection may go on (a failure under ACCEPT_UNTRUSTED still may). */
  readonly accepted: boolean;
  /** The check that failed, for its `ssl.*` counter. */
  readonly failure?: VerifyFailure;
  /** Why, in words, for logs and `%UPSTREAM_TRANSPORT_FAILURE_REASON%`. */
  readonly reason?: string;
  /** The certificate passed every configured check (Envoy's `peerCertificateValidated`). */
  readonly validated: boolean;
  readonly presented: boolean;
  /** The certificate the peer presented, parsed once for everything after the check. */
  readonly peer?: X509Certificate;
}

/**
 * Envoy's default certificate validator, after the handshake: with trusted CAs the chain (as
 * OpenSSL verified it against them and any CRL), then the SAN matchers, then the SPKI and
 * certificate hash pins. Without a validation context nothing is checked.
 */
export function verifyPeer(socket: TLSSocket, validation: ValidationMaterial | undefined, requireCertificate: boolean): VerifyOutcome {
  const peer = socket.getPeerX509Certificate();
  if (!peer) {
    if (requireCertificate) return { accepted: false, failure: 'fail_verify_no_cert', reason: 'peer did not return a certificate', validated: false, presented: false };
    return { accepted: true, validated: false, presented: false };
  }
  if (!validation) return { accepted: true, validated: false, presented: true, peer };
  const failed = firstFailure(socket, peer, validation);
  if (!failed) return { accepted: true, validated: true, presented: true, peer };
  return { accepted: validation.acceptUntrusted, ...failed, validated: false, presented: true, peer };
}

function firstFailure(socket: TLSSocket, peer: X509Certificate, validation: ValidationMaterial): { failure: VerifyFailure; reason: string } | undefined {
  if (validation.ca) {
    const error = chainError(socket, validation);
    if (error) return { failure: 'fail_verify_error', reason: error };
  }
  if (validation.sanMatchers.length > 0) {
    const sans = subjectAltNames(peer);
    const matched = validation.sanMatchers.some((matcher) => sans.some((san) => (matcher.type === undefined || matcher.type === san.type) && matcher.matches(san.value)));
    if (!matched) return { failure: 'fail_verify_san', reason: 'verify cert failed: SAN matcher' };
  }
  if (validation.spkiPins.size > 0 || validation.certificateHashes.size > 0) {
    const hash = createHash('sha256').update(peer.raw).digest('hex');
    const spki = createHash('sha256').update(peer.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
    if (!validation.certificateHashes.has(hash) && !validation.spkiPins.has(spki)) return { failure: 'fail_verify_cert_hash', reason: 'verify cert failed: cert hash and spki' };
  }
  return undefined;
}

/** OpenSSL's verdict on the chain, with Envoy's allowances (expired certificates, depth). */
function chainError(socket: TLSSocket, validation: ValidationMaterial): string | undefined {
  const code = verifyErrorCode(socket);
  if (code !== undefined && !(code === 'CERT_HAS_EXPIRED' && validation.allowExpired)) return code;
  if (validation.maxVerifyDepth !== undefined && chainDepth(socket) > validation.maxVerifyDepth) return 'CERT_CHAIN_TOO_LONG';
  return undefined;
}

/**
 * The chain verification result OpenSSL recorded. node:tls fills `authorized` for a server
 * socket only inside a `tls.Server`; nodevoy makes its server sockets itself, so it asks the
 * socket's handle, as `tls.Server` does.
 */
function verifyErrorCode(socket: TLSSocket): string | undefined {
  const handle = (socket as unknown as { _handle?: { verifyError?(): (Error & { code?: string }) | null } })._handle;
  if (typeof handle?.verifyError === 'function') {
    const error = handle.verifyError();
    return error ? (error.code ?? error.message) : undefined;
  }
  return socket.authorized ? undefined : String(socket.authorizationError);
}

/** Certificates between the leaf and its trust anchor, as OpenSSL's verify depth counts them. */
function chainDepth(socket: TLSSocket): number {
  let depth = 0;
  let certificate = socket.getPeerCertificate(true);
  while (certificate.issuerCertificate && certificate.issuerCertificate !== certificate) {
    certificate = certificate.issuerCertificate;
    depth++;
  }
  return Math.max(0, depth - 1);
}
