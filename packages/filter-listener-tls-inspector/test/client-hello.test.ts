// The ClientHello reader on hand-made ClientHellos (so every byte is known): SNI, ALPN, JA3 with
// GREASE values left out, a handshake split over records, truncation, and what is not TLS.
import { createHash } from 'node:crypto';
import t from 'tap';
import { parseClientHello } from '../src/client-hello.js';

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const u24 = (n: number) => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);
const withU16Length = (body: Buffer) => Buffer.concat([u16(body.length), body]);
const withU8Length = (body: Buffer) => Buffer.concat([Buffer.from([body.length]), body]);
const extension = (type: number, body: Buffer) => Buffer.concat([u16(type), withU16Length(body)]);

function clientHelloMessage(options: { serverName?: string; alpn?: string[]; ciphers: number[]; groups: number[]; extensionOrder?: 'grease-first' }): Buffer {
  const extensions: Buffer[] = [];
  if (options.extensionOrder === 'grease-first') extensions.push(extension(0x1a1a, Buffer.alloc(0)));
  if (options.serverName !== undefined) {
    const name = Buffer.from(options.serverName);
    extensions.push(extension(0, withU16Length(Buffer.concat([Buffer.from([0]), withU16Length(name)]))));
  }
  if (options.alpn) extensions.push(extension(16, withU16Length(Buffer.concat(options.alpn.map((p) => withU8Length(Buffer.from(p)))))));
  extensions.push(extension(10, withU16Length(Buffer.concat(options.groups.map(u16)))));
  extensions.push(extension(11, withU8Length(Buffer.from([0]))));
  const body = Buffer.concat([
    u16(0x0303),
    Buffer.alloc(32, 7),
    withU8Length(Buffer.alloc(32, 9)),
    withU16Length(Buffer.concat(options.ciphers.map(u16))),
    withU8Length(Buffer.from([0])),
    withU16Length(Buffer.concat(extensions)),
  ]);
  return Buffer.concat([Buffer.from([1]), u24(body.length), body]);
}

/** Handshake bytes in records of at most `recordSize` bytes each. */
function records(message: Buffer, recordSize = 16384): Buffer {
  const out: Buffer[] = [];
  for (let at = 0; at < message.length; at += recordSize) {
    const fragment = message.subarray(at, at + recordSize);
    out.push(Buffer.from([0x16, 0x03, 0x01]), u16(fragment.length), fragment);
  }
  return Buffer.concat(out);
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

t.test('SNI (lower-cased), ALPN in order, and JA3 of version, ciphers, extensions, groups, point formats', async (t) => {
  const bytes = records(clientHelloMessage({ serverName: 'API.Example.TEST', alpn: ['h2', 'http/1.1'], ciphers: [0x1301, 0x1302, 0xc02b], groups: [29, 23] }));
  const result = parseClientHello(bytes);
  t.equal(result.kind, 'client_hello');
  if (result.kind !== 'client_hello') return;
  t.equal(result.hello.serverName, 'api.example.test');
  t.same(result.hello.alpn, ['h2', 'http/1.1']);
  t.equal(result.hello.ja3, md5('771,4865-4866-49195,0-16-10-11,29-23,0'));
  t.equal(result.bytes, bytes.length);
});

t.test('GREASE values are not part of JA3', async (t) => {
  const plain = parseClientHello(records(clientHelloMessage({ ciphers: [0x1301], groups: [29] })));
  const greased = parseClientHello(records(clientHelloMessage({ ciphers: [0x0a0a, 0x1301], groups: [0x2a2a, 29], extensionOrder: 'grease-first' })));
  t.ok(plain.kind === 'client_hello' && greased.kind === 'client_hello' && plain.hello.ja3 === greased.hello.ja3);
});

t.test('a ClientHello split over several records is put together; until it is whole, the answer is incomplete', async (t) => {
  const message = clientHelloMessage({ serverName: 'split.test', ciphers: [0x1301], groups: [29] });
  const bytes = records(message, 24);
  t.ok(message.length > 3 * 24, 'at least four records');
  for (let cut = 1; cut < bytes.length; cut += 7) t.equal(parseClientHello(bytes.subarray(0, cut)).kind, 'incomplete', `${cut} bytes`);
  const whole = parseClientHello(bytes);
  t.ok(whole.kind === 'client_hello' && whole.hello.serverName === 'split.test');
});

t.test('not TLS: plaintext HTTP, a record that is not a handshake, a handshake that is not a ClientHello, a malformed ClientHello', async (t) => {
  t.equal(parseClientHello(Buffer.from('GET / HTTP/1.1\r\n')).kind, 'not_tls');
  t.equal(parseClientHello(Buffer.from('G')).kind, 'not_tls', 'one byte is enough to tell');
  t.equal(parseClientHello(Buffer.from([0x17, 0x03, 0x03, 0x00, 0x01, 0x00])).kind, 'not_tls');
  const serverHello = Buffer.from(records(clientHelloMessage({ ciphers: [0x1301], groups: [29] })));
  serverHello[5] = 2;
  t.equal(parseClientHello(serverHello).kind, 'not_tls');
  const truncated = clientHelloMessage({ ciphers: [0x1301], groups: [29] });
  const lying = Buffer.concat([truncated.subarray(0, 4), truncated.subarray(4, 40)]);
  lying.writeUIntBE(36, 1, 3);
  t.equal(parseClientHello(records(lying)).kind, 'not_tls');
});
