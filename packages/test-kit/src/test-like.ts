import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What the kit needs of a test: somewhere to register cleanup. tap's `t` fits, and so does any
 * runner's test object with a `teardown`; the kit asserts with `node:assert`, so it does not
 * depend on one runner.
 */
export interface TestLike {
  teardown(fn: () => unknown): void;
}

/** A fresh directory holding `files`, removed at teardown. */
export function scratchDir(t: TestLike, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'nodevoy-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
