/**
 * Reusable staging slabs for the staged writer. A large file fetched in hundreds of pieces, or a
 * bundle of a thousand small files, would otherwise allocate fresh slabs for every response: memory
 * the garbage collector only returns later, which shows as resident memory and GC time. Slabs come
 * in power-of-two sizes and a few megabytes of them are kept for the next response.
 */

const MIN_SLAB_CLASS_BYTES = 16 * 1024;
/** Most bytes kept idle in the pool. */
const MAX_POOLED_BYTES = 8 * 1024 * 1024;

const freeByClass = new Map<number, Buffer[]>();
let pooledBytes = 0;

function sizeClass(bytes: number): number {
  let size = MIN_SLAB_CLASS_BYTES;
  while (size < bytes) size *= 2;
  return size;
}

/** A slab of at least `bytes` bytes (its contents are whatever was there). */
export function takeSlab(bytes: number): Buffer {
  const size = sizeClass(bytes);
  const free = freeByClass.get(size);
  const reused = free?.pop();
  if (reused) {
    pooledBytes -= size;
    return reused;
  }
  // Outside Node's shared pool: a slab is long-lived and written from the thread pool.
  return Buffer.allocUnsafeSlow(size);
}

/** Hands a slab back once nothing reads or writes it any more. */
export function returnSlab(slab: Buffer): void {
  const size = slab.length;
  if (size !== sizeClass(size) || pooledBytes + size > MAX_POOLED_BYTES) return;
  let free = freeByClass.get(size);
  if (!free) {
    free = [];
    freeByClass.set(size, free);
  }
  free.push(slab);
  pooledBytes += size;
}
