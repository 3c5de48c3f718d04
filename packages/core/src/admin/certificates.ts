import { ServiceKey } from '../server/services.js';

/** One certificate as `/certs` shows it (Envoy's `admin.v3.CertificateDetails`). */
export interface CertificateDetails {
  /** The file it came from, or `<inline>`. */
  readonly path: string;
  readonly serial_number: string;
  readonly subject_alt_names: readonly ({ readonly dns: string } | { readonly uri: string } | { readonly ip_address: string })[];
  readonly days_until_expiration: string;
  readonly valid_from: string;
  readonly expiration_time: string;
}

/** The certificates of one TLS context: its trust anchor and its own chain. */
export interface CertificateGroup {
  readonly ca_cert: readonly CertificateDetails[];
  readonly cert_chain: readonly CertificateDetails[];
}

/** What holds certificates (a TLS context) tells `/certs` about them, as they are now. */
export interface CertificateReporter {
  certificates(): CertificateGroup;
}

/** Every TLS context of one server, for `/certs`; transport sockets add theirs as they are built. */
export class CertificateReports {
  private readonly reporters: CertificateReporter[] = [];

  add(reporter: CertificateReporter): void {
    this.reporters.push(reporter);
  }

  all(): CertificateGroup[] {
    return this.reporters.map((reporter) => reporter.certificates());
  }
}

export const CERTIFICATE_REPORTS = new ServiceKey<CertificateReports>('certificate reports');
