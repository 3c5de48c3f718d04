import { createServer, type Http2Server, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import { loadEnvoyProtos } from '@nodevoy/config-mux-grpc';

/** What the service reads of a CheckRequest's attributes. */
interface CheckAttributes {
  readonly request?: { readonly http?: { readonly method?: string; readonly path?: string; readonly host?: string; readonly protocol?: string; readonly body?: string; readonly headers?: Record<string, string> } };
  readonly context_extensions?: Record<string, string>;
}

let messages: { readonly request: import('protobufjs').Type; readonly response: import('protobufjs').Type } | undefined;

function checkMessages() {
  if (!messages) {
    const root = loadEnvoyProtos(() => ['envoy/service/auth/v3/external_auth.proto']);
    messages = { request: root.lookupType('envoy.service.auth.v3.CheckRequest'), response: root.lookupType('envoy.service.auth.v3.CheckResponse') };
  }
  return messages;
}

const PERMISSION_DENIED = 7;
const UNAVAILABLE = 14;

/**
 * The answer to a CheckRequest: by its `x-authz` request header, `deny` (401 with a body and
 * headers, one marked append), `fail` (gRPC UNAVAILABLE) or an allow with header, query and
 * response changes, each telling what the check saw (method, path, host, protocol, context
 * extensions) so the client's answer shows it. A check without an HTTP request (the network
 * filter's) is allowed, unless `denyAll`.
 */
function decide(attributes: CheckAttributes, denyAll: boolean): object | { readonly grpcError: number } {
  const http = attributes.request?.http;
  const verdict = denyAll ? 'deny' : http?.headers?.['x-authz'];
  if (verdict === 'fail') return { grpcError: UNAVAILABLE };
  if (verdict === 'deny') {
    return {
      status: { code: PERMISSION_DENIED },
      denied_response: {
        status: { code: 401 },
        body: 'denied by grpc authz',
        headers: [{ header: { key: 'x-why', value: 'policy' } }, { header: { key: 'x-appended', value: 'dropped' }, append: { value: true } }],
      },
    };
  }
  // Map entries come in no set order on the wire: sorted here.
  const extensions = JSON.stringify(Object.fromEntries(Object.entries(attributes.context_extensions ?? {}).sort()));
  const seen = http ? `${http.method} ${http.path} ${http.host} ${http.protocol} body=${http.body ?? ''} ${extensions}` : 'connection';
  return {
    status: { code: 0 },
    ok_response: {
      headers: [
        { header: { key: 'x-user', value: 'bob' } },
        { header: { key: 'x-tags', value: 'checked' }, append: { value: true } },
        { header: { key: 'x-check-saw', value: seen } },
      ],
      headers_to_remove: ['x-api-key'],
      response_headers_to_add: [{ header: { key: 'x-authz', value: 'ok' } }],
      query_parameters_to_set: [{ key: 'verified', value: '1' }],
      query_parameters_to_remove: ['token'],
    },
  };
}

function answer(stream: ServerHttp2Stream, body: Buffer, denyAll: boolean): void {
  const { request, response } = checkMessages();
  const decoded = request.toObject(request.decode(body.subarray(5)), { longs: Number }) as { readonly attributes?: CheckAttributes };
  const decision = decide(decoded.attributes ?? {}, denyAll);
  if ('grpcError' in decision) {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(decision.grpcError), 'grpc-message': 'unavailable' }, { endStream: true });
    return;
  }
  const message = response.encode(response.fromObject(decision)).finish();
  const framed = Buffer.alloc(5 + message.length);
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, 5);
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  stream.end(framed);
}

function grpcAuthzServer(denyAll: boolean): Http2Server {
  const server = createServer();
  server.on('stream', (stream) => {
    stream.on('error', () => {});
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => answer(stream, Buffer.concat(chunks), denyAll));
  });
  return server;
}

const servers = { allow: grpcAuthzServer(false), deny: grpcAuthzServer(true) };

/** `grpc-authz` and `grpc-authz-deny`: envoy.service.auth.v3.Authorization over HTTP/2 cleartext. */
export function serveGrpcAuthz(socket: Socket, denyAll: boolean): void {
  (denyAll ? servers.deny : servers.allow).emit('connection', socket);
}
