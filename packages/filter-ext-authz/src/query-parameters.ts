import type { HeaderMap } from '@nodevoy/http';
import type { HeaderList } from './authz-response.js';

/**
 * The service's query parameter changes applied to `:path` (set replaces every value of a key,
 * remove drops them), keys in order as Envoy writes them; the path is rewritten only when
 * something was asked. True when it was.
 */
export function applyQueryChanges(headers: HeaderMap, toSet: HeaderList, toRemove: readonly string[]): boolean {
  if (toSet.length === 0 && toRemove.length === 0) return false;
  const path = headers.get(':path') ?? '/';
  const queryAt = path.indexOf('?');
  const params = new URLSearchParams(queryAt < 0 ? '' : path.slice(queryAt + 1));
  for (const [key, value] of toSet) params.set(key, value);
  for (const key of toRemove) params.delete(key);
  // Envoy rebuilds the query from a map sorted by key.
  params.sort();
  const query = params.toString();
  headers.set(':path', `${queryAt < 0 ? path : path.slice(0, queryAt)}${query ? `?${query}` : ''}`);
  return true;
}
