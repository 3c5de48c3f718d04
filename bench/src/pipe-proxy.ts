// The reference for the TCP figures: the least a Node.js proxy can do, `socket.pipe()` both
// ways. `1hop`: client -> proxy -> upstream. `2hop`: the second hop is an in-process stream
// pair, as an internal listener is. Usage: pipe-proxy <1hop|2hop> <bulk upstream port>
// <echo upstream port>; prints {bulk, echo}, the ports its two listeners took.
import { Duplex } from 'node:stream';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

const [mode = '1hop', bulkUpstream = '0', echoUpstream = '0'] = process.argv.slice(2);

/** Two Duplex ends wired to each other, with backpressure: Node 20 has no `stream.duplexPair`. */
function duplexPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const waiting: ((() => void) | undefined)[] = [undefined, undefined];
  const make = (self: number) =>
    new Duplex({
      read() {
        const resume = waiting[self];
        waiting[self] = undefined;
        resume?.();
      },
      write(chunk: Buffer, _encoding, callback) {
        const peer = 1 - self;
        if ((ends[peer] as Duplex).push(chunk)) callback();
        else waiting[peer] = callback;
      },
      final(callback) {
        (ends[1 - self] as Duplex).push(null);
        callback();
      },
    });
  ends.push(make(0), make(1));
  return [ends[0] as Duplex, ends[1] as Duplex];
}

function proxyTo(upstreamPort: number) {
  return (client: Socket) => {
    const upstream = connect({ host: '127.0.0.1', port: upstreamPort, noDelay: true });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    if (mode === '2hop') {
      const [outer, inner] = duplexPair();
      client.pipe(outer).pipe(client);
      inner.pipe(upstream).pipe(inner);
    } else {
      client.pipe(upstream).pipe(client);
    }
  };
}

function listen(upstreamPort: number): Promise<number> {
  const server = createServer({ noDelay: true }, proxyTo(upstreamPort));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

const ports = { bulk: await listen(Number(bulkUpstream)), echo: await listen(Number(echoUpstream)) };
process.stdout.write(`${JSON.stringify(ports)}\n`);
