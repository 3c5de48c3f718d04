import type { SslConnectionInfo } from '@nodevoy/core';
import type { HeaderMap } from '@nodevoy/http';

export type ForwardClientCert = 'SANITIZE' | 'FORWARD_ONLY' | 'APPEND_FORWARD' | 'SANITIZE_SET' | 'ALWAYS_FORWARD_ONLY';

/** `set_current_client_cert_details`: which parts of the client certificate go in, besides `By` and `Hash`. */
export interface ClientCertDetails {
  readonly subject?: boolean;
  readonly cert?: boolean;
  readonly chain?: boolean;
  readonly dns?: boolean;
  readonly uri?: boolean;
}

const XFCC = 'x-forwarded-client-cert';

/**
 * Envoy's `x-forwarded-client-cert` rules: always forwarded as it came with ALWAYS_FORWARD_ONLY;
 * otherwise removed unless the client presented a certificate (mutual TLS), and then forwarded as
 * it came (FORWARD_ONLY), or the client's certificate appended (APPEND_FORWARD) or set in its place
 * (SANITIZE_SET). SANITIZE, the default, always removes it.
 */
export function mutateClientCertHeader(headers: HeaderMap, mode: ForwardClientCert, details: ClientCertDetails, ssl: SslConnectionInfo | undefined): void {
  if (mode === 'ALWAYS_FORWARD_ONLY') return;
  if (!ssl?.peerCertificatePresented || mode === 'SANITIZE') {
    headers.remove(XFCC);
    return;
  }
  if (mode === 'FORWARD_ONLY') return;
  const value = clientCertElement(ssl, details);
  const existing = headers.get(XFCC);
  headers.set(XFCC, mode === 'APPEND_FORWARD' && existing ? `${existing},${value}` : value);
}

/** One element of the header, in Envoy's order: By, Hash, Cert, Chain, Subject, URI, DNS. */
function clientCertElement(ssl: SslConnectionInfo, details: ClientCertDetails): string {
  const parts: string[] = ssl.uriSanLocalCertificate.map((uri) => `By=${uri}`);
  parts.push(`Hash=${ssl.sha256PeerCertificateDigest}`);
  if (details.cert) parts.push(`Cert="${encodeURIComponent(ssl.pemPeerCertificate)}"`);
  if (details.chain) parts.push(`Chain="${encodeURIComponent(ssl.pemPeerCertificateChain)}"`);
  if (details.subject) parts.push(`Subject="${ssl.subjectPeerCertificate.replace(/"/g, '\\"')}"`);
  if (details.uri) for (const uri of ssl.uriSanPeerCertificate) parts.push(`URI=${uri}`);
  if (details.dns) for (const dns of ssl.dnsSansPeerCertificate) parts.push(`DNS=${dns}`);
  return parts.join(';');
}
