import { readFileSync } from 'node:fs';

/**
 * Scenarios whose mismatch is deliberate, from KNOWN-DIFFERENCES.md: every list item that
 * starts with a scenario name in backquotes (`- \`name\`: reason`).
 */
export function loadKnownDifferences(path: string): Map<string, string> {
  const known = new Map<string, string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^- `([^`]+)`:\s*(.+)$/.exec(line.trim());
    if (match?.[1] && match[2]) known.set(match[1], match[2]);
  }
  return known;
}
