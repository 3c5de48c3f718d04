import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Calls `onChange` when `path` may have changed: written in place, or replaced by a rename (how
 * certificate managers write files). With `watchedDirectory`, any change in that directory counts
 * (Kubernetes swaps a `..data` symlink there). Events of one turn are coalesced into one call.
 * Returns a function that stops watching; the watch never keeps the process alive.
 */
export function watchFile(path: string, onChange: () => void, watchedDirectory?: string): () => void {
  const directory = watchedDirectory ?? dirname(path);
  const name = basename(path);
  let scheduled = false;
  let watcher: FSWatcher;
  try {
    watcher = watch(directory, { persistent: false }, (_event, changed) => {
      if (watchedDirectory === undefined && changed !== null && changed !== name) return;
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        onChange();
      });
    });
  } catch {
    // A directory that cannot be watched: the file is read once, as at startup.
    return () => {};
  }
  watcher.on('error', () => watcher.close());
  return () => watcher.close();
}
