import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Upstream } from './upstreams.js';

/** A Zipkin v2 span as a proxy posts it. */
interface ZipkinSpan {
  readonly traceId?: string;
  readonly id?: string;
  readonly parentId?: string;
  readonly name?: string;
  readonly kind?: string;
  readonly shared?: boolean;
  readonly annotations?: readonly { readonly value: string }[];
  readonly tags?: Readonly<Record<string, string>>;
}

/** A span in the form two runs compare: ids by their order of first appearance, no times, addresses named. */
export interface SpanObservation {
  readonly name: string;
  readonly kind: string;
  readonly shared: boolean;
  readonly traceId: string;
  readonly id: string;
  readonly parentId: string;
  readonly annotations: readonly string[];
  readonly tags: Record<string, string>;
}

/** `zipkin-collector`: an HTTP server taking Zipkin v2 JSON spans (202), keeping every span posted. */
export async function startZipkinCollector(): Promise<Upstream & { readonly spans: ZipkinSpan[] }> {
  const spans: ZipkinSpan[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      try {
        spans.push(...(JSON.parse(Buffer.concat(chunks).toString()) as ZipkinSpan[]));
      } catch {
        // not spans: nothing to keep
      }
      response.writeHead(202).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    connections: [],
    spans,
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}

/**
 * The spans a collector received, comparable across runs: sorted, each id replaced by `#<n>` in
 * order of first appearance, times and the local endpoint left out, the request id masked, and
 * `127.0.0.1:<port>` written as `upstream <name>` (or `listener` for the proxy's own ports).
 */
export function spanObservations(spans: readonly ZipkinSpan[], portNames: ReadonlyMap<number, string>): SpanObservation[] {
  const named = (value: string) => value.replace(/127\.0\.0\.1:(\d+)/g, (_, port: string) => (portNames.has(Number(port)) ? `upstream ${portNames.get(Number(port))}` : 'listener'));
  const shaped = spans
    .map((span) => ({
      span,
      name: named(span.name ?? ''),
      tags: Object.fromEntries(
        Object.entries(span.tags ?? {})
          .map(([key, value]): [string, string] => [key, key === 'guid:x-request-id' ? '<varies>' : named(value)])
          .sort(([a], [b]) => a.localeCompare(b)),
      ),
    }))
    .sort((a, b) => `${a.span.kind} ${a.name} ${a.tags['http.url'] ?? ''}`.localeCompare(`${b.span.kind} ${b.name} ${b.tags['http.url'] ?? ''}`));
  const ids = new Map<string, string>();
  const idOf = (id: string | undefined) => {
    if (!id) return '';
    if (!ids.has(id)) ids.set(id, `#${ids.size + 1}`);
    return ids.get(id) as string;
  };
  return shaped.map(({ span, name, tags }) => ({
    name,
    kind: span.kind ?? '',
    shared: span.shared === true,
    traceId: idOf(span.traceId),
    id: idOf(span.id),
    parentId: idOf(span.parentId),
    annotations: (span.annotations ?? []).map((annotation) => annotation.value),
    tags,
  }));
}
