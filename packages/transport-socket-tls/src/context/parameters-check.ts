import { createSecureContext } from 'node:tls';
import { openSslCipherList, type NodeTlsParameters } from './tls-options.js';

/**
 * Checks TLS parameters as Envoy does when it builds a context: a cipher suite, curve or
 * signature algorithm OpenSSL does not know is an error naming it. Returns the field at fault
 * (relative to `tls_params`) and the message, or undefined.
 */
export function parametersProblem(parameters: NodeTlsParameters, cipherSuites: readonly string[] | undefined): { field: string; message: string } | undefined {
  // OpenSSL skips names it does not know as long as one is left; BoringSSL (Envoy) refuses the list.
  const rejected = (cipherSuites ?? []).filter((suite) => !accepted({ ciphers: openSslCipherList([suite]) }));
  if (cipherSuites?.length && (rejected.length > 0 || !accepted({ ciphers: parameters.ciphers }))) {
    return {
      field: 'cipher_suites',
      message: `Failed to initialize cipher suites ${cipherSuites.join(':')}. The following ciphers were rejected when tried individually: ${rejected.join(', ')}`,
    };
  }
  if (!accepted({ ecdhCurve: parameters.ecdhCurve })) return { field: 'ecdh_curves', message: `Failed to initialize ECDH curves ${parameters.ecdhCurve}` };
  if (parameters.sigalgs && !accepted({ sigalgs: parameters.sigalgs })) {
    return { field: 'signature_algorithms', message: `Failed to initialize TLS signature algorithms ${parameters.sigalgs}` };
  }
  if (!accepted({ minVersion: parameters.minVersion, maxVersion: parameters.maxVersion })) {
    return { field: 'tls_minimum_protocol_version', message: `the minimum protocol version ${parameters.minVersion} is above the maximum ${parameters.maxVersion}` };
  }
  return undefined;
}

function accepted(options: Parameters<typeof createSecureContext>[0]): boolean {
  try {
    createSecureContext(options);
    return true;
  } catch {
    return false;
  }
}
