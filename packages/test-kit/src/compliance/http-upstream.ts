import type { ServerResponse } from 'node:http';
import { patternBytes } from '../network/recorder.js';
import { startHttpUpstream, type HttpUpstream, type SeenRequest } from '../http.js';
import type { TestLike } from '../test-like.js';

/**
 * The HTTP compliance suite's upstream, driven by the request path: `/hello` answers a short
 * body, `/echo` returns the request body, `/bytes/<n>` sends n pattern bytes as fast as the
 * proxy takes them, `/reset/<n>` sends n bytes of a longer body and then resets the connection.
 */
export function startComplianceUpstream(t: TestLike): Promise<HttpUpstream> {
  return startHttpUpstream(t, (request, response) => answer(request, response));
}

function answer(request: SeenRequest, response: ServerResponse): void {
  const [, kind, count] = request.url.split('/');
  const n = Number(count ?? 0);
  switch (kind) {
    case 'echo':
      response.setHeader('content-type', 'application/octet-stream');
      response.end(request.bodyBytes);
      return;
    case 'bytes':
      response.setHeader('content-length', n);
      void writeRespectingBackpressure(response, n);
      return;
    case 'reset':
      response.setHeader('content-length', n * 2);
      response.write(patternBytes(n), () => response.socket?.resetAndDestroy());
      return;
    default:
      response.setHeader('content-type', 'text/plain');
      response.end('hello');
  }
}

async function writeRespectingBackpressure(response: ServerResponse, total: number): Promise<void> {
  for (let at = 0; at < total && !response.destroyed; ) {
    const chunk = patternBytes(Math.min(64 * 1024, total - at), at);
    at += chunk.length;
    if (!response.write(chunk)) await drainedOrClosed(response);
  }
  response.end();
}

function drainedOrClosed(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done).off('close', done);
      resolve();
    };
    response.on('drain', done).on('close', done);
  });
}
