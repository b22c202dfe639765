import v8 from 'node:v8';
import vm from 'node:vm';

let gcFn: (() => void) | null | undefined;

/**
 * A full garbage collection on demand, without starting node with --expose-gc. V8 otherwise lets
 * garbage pile up to its own limit (GBs on a big machine), far past max_memory_usage_mb, even
 * when what is really alive is small.
 */
export function forceGc(): boolean {
  if (gcFn === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc') as () => void;
    } catch {
      gcFn = null;
    }
  }
  if (!gcFn) return false;
  gcFn();
  return true;
}

export function rssMb(): number {
  return process.memoryUsage.rss() / 1_048_576;
}
