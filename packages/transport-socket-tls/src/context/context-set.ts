import { constants } from 'node:crypto';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import type { CertificateMaterial } from '../material/certificate.js';
import { dnsNameMatches, type ValidationMaterial } from '../material/validation.js';
import type { NodeTlsParameters } from './tls-options.js';

/** Server-only settings of a secure context: session resumption as configured. */
export interface SessionSettings {
  /** node:tls ticket keys (48 bytes), derived from the first of Envoy's 80-byte keys. */
  readonly ticketKeys?: Buffer;
  readonly disableTickets?: boolean;
  readonly sessionTimeoutSeconds?: number;
  /** Envoy's `prefer_client_ciphers`: the server's order wins unless set. */
  readonly preferClientCiphers?: boolean;
}

/** The secure contexts of one TLS context config at one moment: one per certificate. */
export interface ContextSet {
  readonly default: SecureContext;
  /** The context whose certificate serves `serverName` (SNI), else the first: Envoy's selection. */
  forServerName(serverName: string | undefined): SecureContext;
  /** More than one certificate: the server name chooses (else a handshake needs no SNI callback). */
  readonly choosesByName: boolean;
  readonly validation: ValidationMaterial | undefined;
}

export function buildContextSet(
  certificates: readonly CertificateMaterial[],
  validation: ValidationMaterial | undefined,
  parameters: NodeTlsParameters,
  session: SessionSettings = {},
): ContextSet {
  const base: SecureContextOptions = {
    ...parameters,
    ...(validation?.ca ? { ca: validation.ca } : {}),
    ...(validation?.crl ? { crl: validation.crl } : {}),
    honorCipherOrder: !session.preferClientCiphers,
    ...(session.ticketKeys ? { ticketKeys: session.ticketKeys } : {}),
    ...(session.sessionTimeoutSeconds !== undefined ? { sessionTimeout: session.sessionTimeoutSeconds } : {}),
    ...(session.disableTickets ? { secureOptions: constants.SSL_OP_NO_TICKET } : {}),
  };
  const entries = (certificates.length > 0 ? certificates : [undefined]).map((certificate) => ({
    names: certificate?.serverNames ?? [],
    context: createSecureContext({ ...base, ...certificateOptions(certificate) }),
  }));
  const first = (entries[0] as (typeof entries)[number]).context;
  return {
    default: first,
    validation,
    choosesByName: entries.length > 1,
    forServerName(serverName) {
      if (!serverName || entries.length === 1) return first;
      const name = serverName.toLowerCase();
      return (
        entries.find((entry) => entry.names.includes(name))?.context ??
        entries.find((entry) => entry.names.some((pattern) => dnsNameMatches(name, pattern)))?.context ??
        first
      );
    },
  };
}

function certificateOptions(certificate: CertificateMaterial | undefined): SecureContextOptions {
  if (!certificate) return {};
  return {
    ...(certificate.cert ? { cert: certificate.cert } : {}),
    ...(certificate.key ? { key: certificate.key } : {}),
    ...(certificate.pfx ? { pfx: certificate.pfx } : {}),
    ...(certificate.passphrase !== undefined ? { passphrase: certificate.passphrase } : {}),
  };
}
