// A test OTLP collector: receives ExportTraceServiceRequest messages over HTTP (OTLP/HTTP
// protobuf) or gRPC (TraceService/Export) and decodes them with the OTLP trace schema.
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { startHttpUpstream, type HttpUpstream, type TestLike } from '@nodevoy/test-kit';

// The fields of opentelemetry/proto/{collector/trace,trace,common,resource}/v1 a test reads.
const OTLP_TRACE_PROTO = `
syntax = "proto3";
message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; } }
message KeyValue { string key = 1; AnyValue value = 2; }
message Resource { repeated KeyValue attributes = 1; }
message InstrumentationScope { string name = 1; string version = 2; }
message Event { fixed64 time_unix_nano = 1; string name = 2; }
message Status { string message = 2; int32 code = 3; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4; string name = 5; int32 kind = 6;
  fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8; repeated KeyValue attributes = 9; repeated Event events = 11;
  Status status = 15; fixed32 flags = 16;
}
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
`;

const exportRequest = protobuf.parse(OTLP_TRACE_PROTO, { keepCase: true }).root.lookupType('ExportTraceServiceRequest');

/** One exported span as a test reads it: ids in hex, attributes as strings. */
export interface ExportedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly traceState: string;
  readonly name: string;
  /** 2 SERVER, 3 CLIENT. */
  readonly kind: number;
  readonly startNanos: bigint;
  readonly endNanos: bigint;
  readonly attributes: Record<string, string>;
  /** 0 unset, 2 error. */
  readonly statusCode: number;
  readonly resource: Record<string, string>;
  readonly scope: string;
}

interface Decoded {
  resource_spans?: {
    resource?: { attributes?: { key: string; value?: { string_value?: string } }[] };
    scope_spans?: {
      scope?: { name?: string };
      spans?: {
        trace_id: Uint8Array;
        span_id: Uint8Array;
        parent_span_id?: Uint8Array;
        trace_state?: string;
        name: string;
        kind: number;
        start_time_unix_nano: { toString(): string };
        end_time_unix_nano: { toString(): string };
        attributes?: { key: string; value?: { string_value?: string } }[];
        status?: { code?: number };
      }[];
    }[];
  }[];
}

const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('hex');
const attributes = (list: { key: string; value?: { string_value?: string } }[] | undefined) => Object.fromEntries((list ?? []).map((kv) => [kv.key, kv.value?.string_value ?? '']));

/** The spans of one ExportTraceServiceRequest. */
export function decodeSpans(body: Uint8Array): ExportedSpan[] {
  const decoded = exportRequest.toObject(exportRequest.decode(body), { defaults: false }) as unknown as Decoded;
  return (decoded.resource_spans ?? []).flatMap((resourceSpans) =>
    (resourceSpans.scope_spans ?? []).flatMap((scopeSpans) =>
      (scopeSpans.spans ?? []).map((span) => ({
        traceId: hex(span.trace_id),
        spanId: hex(span.span_id),
        parentSpanId: hex(span.parent_span_id),
        traceState: span.trace_state ?? '',
        name: span.name,
        kind: span.kind,
        startNanos: BigInt(span.start_time_unix_nano.toString()),
        endNanos: BigInt(span.end_time_unix_nano.toString()),
        attributes: attributes(span.attributes),
        statusCode: span.status?.code ?? 0,
        resource: attributes(resourceSpans.resource?.attributes),
        scope: scopeSpans.scope?.name ?? '',
      })),
    ),
  );
}

/** An OTLP/HTTP collector on 127.0.0.1:0 (answers 200). */
export async function httpCollector(t: TestLike): Promise<{ upstream: HttpUpstream; spans: () => ExportedSpan[] }> {
  const upstream = await startHttpUpstream(t, (_request, response) => response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  return { upstream, spans: () => upstream.requests.flatMap((request) => decodeSpans(request.bodyBytes)) };
}

/** An OTLP/gRPC collector (TraceService/Export) on 127.0.0.1:0, with @grpc/grpc-js. */
export async function grpcCollector(t: TestLike): Promise<{ port: number; spans: () => ExportedSpan[]; metadata: grpc.Metadata[] }> {
  const received: Buffer[] = [];
  const metadata: grpc.Metadata[] = [];
  const identity = (bytes: Buffer) => bytes;
  const server = new grpc.Server();
  server.addService(
    { Export: { path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export', requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity } },
    {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        received.push(call.request);
        metadata.push(call.metadata);
        callback(null, Buffer.alloc(0));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))));
  t.teardown(() => server.forceShutdown());
  return { port, spans: () => received.flatMap((body) => decodeSpans(body)), metadata };
}
