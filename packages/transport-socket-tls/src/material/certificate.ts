import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { describeDataSource, readDataSource, type DataSourceConfig } from '@nodevoy/core';
import type { TlsCertificateConfig } from '../config/common.js';
import { TlsMaterialError } from './material-error.js';

/** A certificate and its key, read and checked, ready for a secure context. */
export interface CertificateMaterial {
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly pfx?: Buffer;
  readonly passphrase?: string;
  /** The leaf certificate (undefined for PKCS#12, which node:crypto cannot open). */
  readonly leaf: X509Certificate | undefined;
  /** The names it serves (DNS SANs, else the subject CN): what SNI selection matches. */
  readonly serverNames: readonly string[];
  /** Where the chain came from (a file, or `<inline>`), for `/certs`. */
  readonly source: string;
}

/** The files a TlsCertificate reads, so a rotation on disk can be noticed. */
export function certificateFiles(config: TlsCertificateConfig): string[] {
  return [config.certificate_chain, config.private_key, config.pkcs12, config.password].flatMap((source) => (source?.filename ? [source.filename] : []));
}

/**
 * Reads a TlsCertificate's sources now and checks them as Envoy does when it loads one: the
 * chain parses, the key parses (with its password), and the two belong together. Problems are
 * TlsMaterialErrors naming the field.
 */
export function loadCertificate(config: TlsCertificateConfig): CertificateMaterial {
  const passphrase = config.password ? read(config.password, 'password').toString('utf8') : undefined;
  if (config.pkcs12) {
    const pfx = read(config.pkcs12, 'pkcs12');
    secureContext({ pfx, passphrase }, 'pkcs12', `Failed to load pkcs12 from ${describeDataSource(config.pkcs12)}`);
    return { pfx, ...(passphrase !== undefined ? { passphrase } : {}), leaf: undefined, serverNames: [], source: describeDataSource(config.pkcs12) };
  }
  const chainSource = config.certificate_chain as DataSourceConfig;
  const keySource = config.private_key as DataSourceConfig;
  const cert = read(chainSource, 'certificate_chain');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch {
    throw new TlsMaterialError('certificate_chain', `Failed to load certificate chain from ${describeDataSource(chainSource)}`);
  }
  const key = read(keySource, 'private_key');
  try {
    createPrivateKey({ key, ...(passphrase !== undefined ? { passphrase } : {}) });
  } catch {
    throw new TlsMaterialError('private_key', `Failed to load private key from ${describeDataSource(keySource)}`);
  }
  secureContext({ cert, key, passphrase }, 'private_key', `Failed to load private key from ${describeDataSource(keySource)}: it does not match the certificate chain`);
  return { cert, key, ...(passphrase !== undefined ? { passphrase } : {}), leaf, serverNames: certificateNames(leaf), source: describeDataSource(chainSource) };
}

function read(source: DataSourceConfig, field: string): Buffer {
  try {
    return readDataSource(source);
  } catch (err) {
    throw new TlsMaterialError(field, err instanceof Error ? err.message : String(err));
  }
}

function secureContext(options: { cert?: Buffer; key?: Buffer; pfx?: Buffer; passphrase: string | undefined }, field: string, message: string): void {
  try {
    createSecureContext(options);
  } catch {
    throw new TlsMaterialError(field, message);
  }
}

/** The DNS names a certificate is for: its DNS SANs, or its subject CN when it has none. */
export function certificateNames(leaf: X509Certificate): string[] {
  const dns = subjectAltNames(leaf).filter((san) => san.type === 'DNS').map((san) => san.value.toLowerCase());
  if (dns.length > 0) return dns;
  const cn = /^CN=(.*)$/m.exec(leaf.subject)?.[1];
  return cn ? [cn.toLowerCase()] : [];
}

export type SanType = 'DNS' | 'URI' | 'IP_ADDRESS' | 'EMAIL';

/** A certificate's subject alternative names, typed as Envoy's SubjectAltNameMatcher types them. */
export function subjectAltNames(certificate: X509Certificate): { type: SanType; value: string }[] {
  const text = certificate.subjectAltName;
  if (!text) return [];
  const out: { type: SanType; value: string }[] = [];
  // `DNS:a.example, URI:spiffe://td/ns/a/sa/b, IP Address:127.0.0.1, email:x@y`; a value with a
  // comma is quoted as a JSON string.
  const entry = /(DNS|URI|IP Address|email):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g;
  for (let match = entry.exec(text); match; match = entry.exec(text)) {
    const raw = match[2] ?? '';
    const value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
    const type: SanType = match[1] === 'IP Address' ? 'IP_ADDRESS' : match[1] === 'email' ? 'EMAIL' : (match[1] as 'DNS' | 'URI');
    out.push({ type, value });
  }
  return out;
}
