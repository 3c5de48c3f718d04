import type { X509Certificate } from 'node:crypto';
import type { CertificateDetails, CertificateGroup, CertificateReporter } from '@nodevoy/core';
import { subjectAltNames } from './material/certificate.js';
import type { CertificateMaterial } from './material/certificate.js';
import type { Live } from './material/live.js';
import type { ValidationMaterial } from './material/validation.js';

const DAY_MS = 86_400_000;

/** A TLS context's certificates as `/certs` shows them, read as they are now (after any rotation). */
export function certificateReporter(certificates: Live<CertificateMaterial[]>, validation: Live<ValidationMaterial | undefined>): CertificateReporter {
  return {
    certificates(): CertificateGroup {
      const anchor = validation.current()?.caCertificate;
      return {
        ca_cert: anchor ? [details(anchor.certificate, anchor.source)] : [],
        cert_chain: (certificates.current() ?? []).flatMap((material) => (material.leaf ? [details(material.leaf, material.source)] : [])),
      };
    },
  };
}

/** Envoy's certificate details: serial, SANs, whole days left, validity in RFC 3339 without fractions. */
function details(certificate: X509Certificate, path: string): CertificateDetails {
  const validFrom = new Date(certificate.validFrom);
  const validTo = new Date(certificate.validTo);
  return {
    path,
    serial_number: certificate.serialNumber.toLowerCase(),
    subject_alt_names: subjectAltNames(certificate).flatMap((san): CertificateDetails['subject_alt_names'][number][] =>
      san.type === 'DNS' ? [{ dns: san.value }] : san.type === 'URI' ? [{ uri: san.value }] : san.type === 'IP_ADDRESS' ? [{ ip_address: san.value }] : [],
    ),
    days_until_expiration: String(Math.max(0, Math.floor((validTo.getTime() - Date.now()) / DAY_MS))),
    valid_from: rfc3339(validFrom),
    expiration_time: rfc3339(validTo),
  };
}

const rfc3339 = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');
