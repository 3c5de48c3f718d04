import type { HealthCheckTarget } from '@nodevoy/core';
import { ConnectionDuplex, ConnectionResetError } from '@nodevoy/http';

/**
 * A health check connection as a Duplex for node:http and node:http2: returned at once, bound
 * to the nodevoy connection once it opens, destroyed with an error if it never does.
 */
export function healthCheckDuplex(target: HealthCheckTarget): ConnectionDuplex {
  const duplex = new ConnectionDuplex();
  const connection = target.openConnection();
  let settled = false;
  connection.addConnectionCallbacks({
    onEvent(event) {
      if (settled) return;
      settled = true;
      if (event !== 'Connected') duplex.destroy(new ConnectionResetError(false, connection.closeReason || 'connection failed'));
      else if (duplex.destroyed) connection.close('NoFlush', 'health check abandoned');
      else duplex.attach(connection);
    },
  });
  duplex.once('close', () => {
    if (!settled) connection.close('NoFlush', 'health check abandoned');
  });
  connection.connect();
  return duplex;
}
