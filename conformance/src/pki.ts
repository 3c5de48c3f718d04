import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority } from '@nodevoy/test-kit';

/**
 * The certificates TLS scenarios use, made once per run and shared by both proxies (so both
 * see the same bytes): `${tls}/<name>.crt` and `.key`, and `${tls}/ca.pem`. `stranger` comes
 * from another CA; `expired` expired an hour ago.
 */
export const SPIFFE_CLIENT = 'spiffe://conformance/ns/apps/sa/client';
export const SPIFFE_INTRUDER = 'spiffe://conformance/ns/apps/sa/intruder';

let made: Promise<string> | undefined;

/** The directory holding the run's certificates (made on first use). */
export function pkiDirectory(): Promise<string> {
  made ??= makePki();
  return made;
}

async function makePki(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'conformance-pki-'));
  const ca = await createCertificateAuthority('conformance CA');
  const stranger = await createCertificateAuthority('stranger CA');
  const hourAgo = new Date(Date.now() - 3_600_000);
  const issued = {
    server: await ca.issue({ dns: ['localhost'] }),
    a: await ca.issue({ dns: ['a.test'] }),
    b: await ca.issue({ dns: ['*.b.test'] }),
    backend: await ca.issue({ dns: ['backend.test'] }),
    client: await ca.issue({ commonName: 'conformance client', uris: [SPIFFE_CLIENT] }),
    intruder: await ca.issue({ uris: [SPIFFE_INTRUDER] }),
    expired: await ca.issue({ uris: [SPIFFE_CLIENT], notBefore: new Date(hourAgo.getTime() - 3_600_000), notAfter: hourAgo }),
    stranger: await stranger.issue({ uris: [SPIFFE_CLIENT] }),
  };
  writeFileSync(join(dir, 'ca.pem'), ca.cert);
  for (const [name, certificate] of Object.entries(issued)) {
    writeFileSync(join(dir, `${name}.crt`), certificate.cert);
    writeFileSync(join(dir, `${name}.key`), certificate.key);
  }
  return dir;
}
