// A ConnectionDuplex owns its error path from birth: a reset reported while no request or
// session holds it (a pooled connection between owners) must not become an unhandled 'error',
// which would take down every connection of the process (found by `npm run soak`).
import { once } from 'node:events';
import t from 'tap';
import { ConnectionDuplex } from '@nodevoy/http';

t.test('an error with no owner listening closes the duplex and nothing else', async (t) => {
  const duplex = new ConnectionDuplex();
  // Not events.once: it rejects on 'error' (it listens for it), which would hide the point.
  const closed = new Promise((resolve) => duplex.once('close', resolve));
  duplex.destroy(new Error('connection reset: ECONNRESET'));
  await closed;
  t.ok(duplex.destroyed);
});

t.test('an owner that listens still gets the error', async (t) => {
  const duplex = new ConnectionDuplex();
  const seen = once(duplex, 'error');
  duplex.destroy(new Error('connection reset: ECONNRESET'));
  const [error] = (await seen) as [Error];
  t.equal(error.message, 'connection reset: ECONNRESET');
});
