// A client that stops reading while the upstream keeps sending: the bytes nodevoy holds stay
// within its configured limits, and everything arrives once the client reads again.
import { createHash } from 'node:crypto';
import t from 'tap';
import { connectTo, readBytes, seedTopology, startNodevoy, startTcpServer } from '@nodevoy/test-kit';

const LIMIT = 64 * 1024; // per_connection_buffer_limit_bytes, listeners and clusters
const PAIR_KB = 32; // buffer_size_kb of the internal hop
const TOTAL = 48 * 1024 * 1024;

/** Largest single chunk a hop can overshoot by: a socket read (64 KiB) or an internal fragment. */
const CHUNK = 64 * 1024;

t.test('a slow reader stops the upstream; nodevoy holds no more than its limits', async (t) => {
  const sent = createHash('sha256');
  const upstream = await startTcpServer(t, (socket) => {
    let written = 0;
    const pump = () => {
      while (written < TOTAL) {
        const chunk = Buffer.alloc(Math.min(CHUNK, TOTAL - written), written % 251);
        sent.update(chunk);
        written += chunk.length;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
      socket.end();
    };
    pump();
  });
  const proxy = await startNodevoy(
    t,
    seedTopology(upstream.port, {
      listenerExtra: `    per_connection_buffer_limit_bytes: ${LIMIT}\n`,
      clusterExtra: `    per_connection_buffer_limit_bytes: ${LIMIT}\n`,
      bufferSizeKb: PAIR_KB,
    }),
  );
  const client = await connectTo(t, await proxy.admin.listenerPort('outbound'));
  client.pause();

  // The pause travels back hop by hop until the inner tcp_proxy stops reading the origin.
  await proxy.admin.waitForStat('cluster.to_inner.upstream_flow_control_paused_reading_total', (v) => v >= 1);
  await proxy.admin.waitForStat('cluster.upstream.upstream_flow_control_paused_reading_total', (v) => v >= 1);

  const stats = await proxy.admin.stats();
  const held = (name: string) => stats.get(name) ?? 0;
  const heldByHop = {
    'client write buffer': held('tcp.outbound.downstream_cx_tx_bytes_buffered'),
    'internal hop, client end (unread)': held('cluster.to_inner.upstream_cx_rx_bytes_buffered'),
    'internal hop, listener end (unsent)': held('tcp.inner.downstream_cx_tx_bytes_buffered'),
    'origin connection (unread)': held('cluster.upstream.upstream_cx_rx_bytes_buffered'),
  };
  t.comment(JSON.stringify(heldByHop));
  t.ok(heldByHop['client write buffer'] <= LIMIT + CHUNK, 'the client connection holds at most its limit plus one read');
  t.ok(heldByHop['internal hop, client end (unread)'] <= PAIR_KB * 1024 + 16 * 1024, 'the pair holds at most buffer_size_kb plus one fragment');
  t.ok(heldByHop['internal hop, listener end (unsent)'] <= LIMIT + CHUNK, 'the inner connection holds at most its limit plus one read');
  const total = Object.values(heldByHop).reduce((a, b) => a + b, 0);
  t.ok(total <= 2 * (LIMIT + CHUNK) + PAIR_KB * 1024 + 16 * 1024 + CHUNK, `all hops together stay bounded (${total} bytes)`);
  t.ok(total < TOTAL / 10, 'nodevoy did not swallow the stream');

  client.resume();
  const received = await readBytes(client, TOTAL);
  t.equal(received.length, TOTAL, 'every byte arrives once the client reads');
  t.equal(createHash('sha256').update(received).digest('hex'), sent.digest('hex'), 'in order and intact');
  await proxy.admin.waitForStat('cluster.upstream.upstream_flow_control_resumed_reading_total', (v) => v >= 1);
});

t.test('buffer_size_kb: 1 still carries several MiB both ways (flow control never deadlocks)', async (t) => {
  const upstream = await startTcpServer(t, (socket) => socket.pipe(socket));
  const proxy = await startNodevoy(t, seedTopology(upstream.port, { bufferSizeKb: 1 }));
  const client = await connectTo(t, await proxy.admin.listenerPort('outbound'));
  const payload = Buffer.alloc(8 * 1024 * 1024);
  for (let i = 0; i < payload.length; i += 4) payload.writeUInt32LE(i, i);
  const echoed = readBytes(client, payload.length);
  client.write(payload);
  t.ok((await echoed).equals(payload));
});
