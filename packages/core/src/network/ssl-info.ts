/**
 * What a TLS transport established on a connection (Envoy's `Ssl::ConnectionInfo`): for filters,
 * access logs and the connection manager's `x-forwarded-client-cert`. Fields are empty strings or
 * empty lists when there is nothing to say (no peer certificate, say).
 */
export interface SslConnectionInfo {
  /** `TLSv1.3`, `TLSv1.2`... */
  readonly tlsVersion: string;
  /** The cipher suite's standard name (`TLS_AES_128_GCM_SHA256`, `ECDHE-RSA-AES128-GCM-SHA256`). */
  readonly ciphersuite: string;
  /** The protocol ALPN chose (`h2`, `http/1.1`), or ''. */
  readonly alpn: string;
  /** The server name the client asked for (SNI), or ''. */
  readonly sni: string;
  readonly sessionReused: boolean;
  readonly peerCertificatePresented: boolean;
  readonly peerCertificateValidated: boolean;
  readonly uriSanPeerCertificate: readonly string[];
  readonly dnsSansPeerCertificate: readonly string[];
  readonly subjectPeerCertificate: string;
  readonly issuerPeerCertificate: string;
  readonly serialNumberPeerCertificate: string;
  readonly sha256PeerCertificateDigest: string;
  /** The peer certificate, PEM (URL-encoded in x-forwarded-client-cert's `Cert=`). */
  readonly pemPeerCertificate: string;
  /** The peer's chain as verified, leaf first, PEM (x-forwarded-client-cert's `Chain=`). */
  readonly pemPeerCertificateChain: string;
  readonly uriSanLocalCertificate: readonly string[];
  readonly subjectLocalCertificate: string;
}
