// A real envoy.service.auth.v3.Authorization server for tests: @grpc/grpc-js with the messages
// of Envoy's own .proto files; each test decides the answer to each CheckRequest.
import { createRequire } from 'node:module';
import { loadEnvoyProtos } from '@nodevoy/config-mux-grpc';
import type { TestLike } from '@nodevoy/test-kit';

const require = createRequire(import.meta.url);
const grpc = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');

const root = loadEnvoyProtos(() => ['envoy/service/auth/v3/external_auth.proto']);
const CheckRequest = root.lookupType('envoy.service.auth.v3.CheckRequest');
const CheckResponse = root.lookupType('envoy.service.auth.v3.CheckResponse');

/** A CheckRequest as the server decoded it (proto field names, enums by name, 64-bit as numbers). */
export interface SeenCheck {
  readonly attributes: {
    readonly source?: { readonly address?: { readonly socket_address?: { readonly address: string; readonly port_value: number } }; readonly principal?: string };
    readonly destination?: { readonly address?: { readonly socket_address?: { readonly address: string; readonly port_value: number } } };
    readonly request?: { readonly http?: { readonly method: string; readonly path: string; readonly host: string; readonly scheme?: string; readonly protocol: string; readonly headers: Record<string, string>; readonly body?: string; readonly size?: number } };
    readonly context_extensions?: Record<string, string>;
  };
  readonly authority: string | undefined;
  readonly metadata: Record<string, string | undefined>;
}

/** What the server answers: a CheckResponse (proto3 object form), or a gRPC error code. */
export type AuthzAnswer = object | { readonly grpcError: number };

export interface GrpcAuthzServer {
  readonly port: number;
  readonly checks: SeenCheck[];
}

export const GRPC_STATUS = grpc.status;

/** An Authorization service on 127.0.0.1:0 whose answers come from `decide`; stopped at teardown. */
export async function startGrpcAuthzServer(t: TestLike, decide: (check: SeenCheck) => AuthzAnswer): Promise<GrpcAuthzServer> {
  const checks: SeenCheck[] = [];
  const server = new grpc.Server();
  server.addService(
    {
      Check: {
        path: '/envoy.service.auth.v3.Authorization/Check',
        requestStream: false,
        responseStream: false,
        requestSerialize: (message: object) => Buffer.from(CheckRequest.encode(CheckRequest.fromObject(message)).finish()),
        requestDeserialize: (bytes: Buffer) => CheckRequest.toObject(CheckRequest.decode(bytes), { longs: Number, enums: String }),
        responseSerialize: (message: object) => Buffer.from(CheckResponse.encode(CheckResponse.fromObject(message)).finish()),
        responseDeserialize: (bytes: Buffer) => CheckResponse.decode(bytes),
      },
    },
    {
      Check: (call: import('@grpc/grpc-js').ServerUnaryCall<{ attributes: SeenCheck['attributes'] }, object>, callback: import('@grpc/grpc-js').sendUnaryData<object>) => {
        const metadata = Object.fromEntries(Object.entries(call.metadata.getMap()).map(([key, value]) => [key, String(value)]));
        const seen: SeenCheck = { attributes: call.request.attributes, authority: call.getHost(), metadata };
        checks.push(seen);
        const answer = decide(seen);
        if ('grpcError' in answer) callback({ code: answer.grpcError as number, details: 'authorization service failure', name: 'Error', message: 'failure' });
        else callback(null, answer);
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))));
  t.teardown(() => server.forceShutdown());
  return { port, checks };
}
