import { existsSync, readFileSync } from 'node:fs';

/**
 * Waits until a file the proxy writes (an access log) holds `lines` complete lines, and returns
 * them: the proxy appends asynchronously, so tests wait for what it wrote, not for a time.
 */
export async function waitForLines(path: string, lines: number, timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    const complete = text.split('\n').slice(0, -1);
    if (complete.length >= lines) return complete;
    if (Date.now() > deadline) throw new Error(`${path} has ${complete.length} of ${lines} lines: ${JSON.stringify(text)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
