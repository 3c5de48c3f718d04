import { webcrypto, randomBytes } from 'node:crypto';
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

/**
 * Certificates made at test time (never a committed private key): a CA that issues server and
 * client certificates with DNS, URI (SPIFFE), IP and email SANs, expired ones, and CRLs.
 * ECDSA P-256 keys, which are quick to make.
 */
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const crypto = webcrypto as unknown as NonNullable<Parameters<typeof x509.X509CertificateGenerator.create>[1]>;

export interface IssueOptions {
  readonly commonName?: string;
  readonly dns?: readonly string[];
  readonly uris?: readonly string[];
  readonly ips?: readonly string[];
  readonly emails?: readonly string[];
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

/** A certificate (PEM) and its private key (PKCS#8 PEM). */
export interface IssuedCertificate {
  readonly cert: string;
  readonly key: string;
  /** Hex serial number, for revocation. */
  readonly serialNumber: string;
}

export interface CertificateAuthority {
  /** The CA's own certificate (PEM): what peers put in `trusted_ca`. */
  readonly cert: string;
  issue(options?: IssueOptions): Promise<IssuedCertificate>;
  /** A CRL (PEM) that revokes the given certificates. */
  crl(revoked?: readonly IssuedCertificate[]): Promise<string>;
}

export async function createCertificateAuthority(name = 'nodevoy test CA'): Promise<CertificateAuthority> {
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const subject = `CN=${name}`;
  const now = Date.now();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial(),
      name: subject,
      notBefore: new Date(now - 3_600_000),
      notAfter: new Date(now + 86_400_000),
      keys,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return {
    cert: caCert.toString('pem'),
    async issue(options = {}) {
      const leafKeys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
      const serialNumber = serial();
      const names: x509.JsonGeneralName[] = [
        ...(options.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
        ...(options.uris ?? []).map((value) => ({ type: 'url' as const, value })),
        ...(options.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
        ...(options.emails ?? []).map((value) => ({ type: 'email' as const, value })),
      ];
      const cert = await x509.X509CertificateGenerator.create(
        {
          serialNumber,
          subject: `CN=${options.commonName ?? options.dns?.[0] ?? 'nodevoy test'}`,
          issuer: caCert.subject,
          notBefore: options.notBefore ?? new Date(now - 3_600_000),
          notAfter: options.notAfter ?? new Date(now + 86_400_000),
          publicKey: leafKeys.publicKey,
          signingKey: keys.privateKey,
          signingAlgorithm: ALGORITHM,
          extensions: [
            new x509.BasicConstraintsExtension(false, undefined, true),
            new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
            new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
            ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
            await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey, false, crypto),
          ],
        },
        crypto,
      );
      const pkcs8 = await crypto.subtle.exportKey('pkcs8', leafKeys.privateKey);
      return { cert: cert.toString('pem'), key: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'), serialNumber };
    },
    async crl(revoked = []) {
      const crl = await x509.X509CrlGenerator.create(
        {
          issuer: caCert.subject,
          thisUpdate: new Date(now - 60_000),
          nextUpdate: new Date(now + 86_400_000),
          entries: revoked.map((certificate) => ({ serialNumber: certificate.serialNumber, revocationDate: new Date(now - 30_000) })),
          signingKey: keys.privateKey,
          signingAlgorithm: ALGORITHM,
          extensions: [await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey, false, crypto)],
        },
        crypto,
      );
      // OpenSSL reads CRLs under the `X509 CRL` PEM label.
      return x509.PemConverter.encode(crl.rawData, 'X509 CRL');
    },
  };
}

/** A positive hex serial number (the high bit clear, as DER integers want it). */
function serial(): string {
  const bytes = randomBytes(12);
  bytes[0] = (bytes[0] as number) & 0x7f;
  return bytes.toString('hex');
}
