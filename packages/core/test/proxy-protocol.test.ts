// The PROXY protocol codec: what it writes, it reads back (v1 and v2, IPv4 and IPv6, TLVs); a
// header arriving in pieces is incomplete until whole; what is not a header, or is a broken one,
// is told apart.
import t from 'tap';
import { PROXY_PROTOCOL_V2_SIGNATURE, encodeProxyProtocol, parseProxyProtocol, socketAddress } from '@nodevoy/core';

const v4 = { source: socketAddress('192.0.2.10', 51000), destination: socketAddress('198.51.100.20', 443) };
const v6 = { source: socketAddress('2001:db8::1', 51000), destination: socketAddress('2001:db8:0:0:0:0:0:2', 443) };

t.test('round trips: v1 and v2, IPv4 and IPv6, v2 TLVs', async (t) => {
  for (const version of [1, 2] as const) {
    for (const [family, pair] of [['IPv4', v4], ['IPv6', v6]] as const) {
      const tlvs = version === 2 ? [{ type: 0xea, value: Buffer.from('tenant-a') }] : [];
      const bytes = Buffer.concat([encodeProxyProtocol(version, pair.source, pair.destination, tlvs), Buffer.from('payload')]);
      const parsed = parseProxyProtocol(bytes);
      t.equal(parsed.kind, 'header', `v${version} ${family}`);
      if (parsed.kind !== 'header') continue;
      t.equal(parsed.header.source?.asString, pair.source.asString);
      t.equal(parsed.header.destination?.asString, family === 'IPv6' ? '[2001:db8::2]:443' : '198.51.100.20:443', 'written long or short, read canonical');
      t.equal(bytes.subarray(parsed.header.length).toString(), 'payload', 'the header length is exactly the header');
      t.same(parsed.header.tlvs.map((tlv) => [tlv.type, tlv.value.toString()]), tlvs.map((tlv) => [tlv.type, tlv.value.toString()]));
    }
  }
  t.equal(encodeProxyProtocol(1, v4.source, v4.destination).toString(), 'PROXY TCP4 192.0.2.10 198.51.100.20 51000 443\r\n', 'v1 as the spec writes it');
});

t.test('a header arriving in pieces is incomplete at every cut', async (t) => {
  for (const version of [1, 2] as const) {
    const bytes = encodeProxyProtocol(version, v4.source, v4.destination);
    for (let cut = 1; cut < bytes.length; cut++) t.equal(parseProxyProtocol(bytes.subarray(0, cut)).kind, 'incomplete', `v${version} ${cut} bytes`);
  }
});

t.test('not a header, LOCAL and UNKNOWN, and broken headers', async (t) => {
  t.equal(parseProxyProtocol(Buffer.from('GET / HTTP/1.1\r\n')).kind, 'absent');
  t.equal(parseProxyProtocol(Buffer.from([0x16, 0x03, 0x01])).kind, 'absent', 'a TLS ClientHello');
  const unknown = parseProxyProtocol(Buffer.from('PROXY UNKNOWN\r\n'));
  t.ok(unknown.kind === 'header' && unknown.header.command === 'LOCAL' && unknown.header.length === 15);
  const local = parseProxyProtocol(Buffer.concat([PROXY_PROTOCOL_V2_SIGNATURE, Buffer.from([0x20, 0x00, 0x00, 0x00])]));
  t.ok(local.kind === 'header' && local.header.command === 'LOCAL');
  const broken = (text: string | Buffer) => parseProxyProtocol(typeof text === 'string' ? Buffer.from(text) : text).kind;
  t.equal(broken('PROXY TCP4 192.0.2.10 198.51.100.20 51000\r\n'), 'error', 'a field missing');
  t.equal(broken('PROXY TCP4 2001:db8::1 198.51.100.20 1 2\r\n'), 'error', 'the wrong family');
  t.equal(broken('PROXY TCP4 192.0.2.10 198.51.100.20 1 99999\r\n'), 'error', 'a port out of range');
  t.equal(broken(`PROXY TCP4 ${'1'.repeat(120)}`), 'error', 'longer than 107 bytes without a CRLF');
  t.equal(broken(Buffer.concat([PROXY_PROTOCOL_V2_SIGNATURE, Buffer.from([0x31, 0x11, 0x00, 0x00])])), 'error', 'version 3');
  t.equal(broken(Buffer.concat([PROXY_PROTOCOL_V2_SIGNATURE, Buffer.from([0x21, 0x31, 0x00, 0x00])])), 'error', 'AF_UNIX');
  t.equal(broken(Buffer.concat([PROXY_PROTOCOL_V2_SIGNATURE, Buffer.from([0x21, 0x11, 0x00, 0x04, 1, 2, 3, 4])])), 'error', 'an address block too short');
});
