// Every storage call (R2, KV) is bounded: a hung operation fails within its time instead of
// hanging the request, the background task or the Durable Object.

export class StorageTimeout extends Error {}

/**
 * A promise that settles within ms: rejects with StorageTimeout otherwise. The late outcome is
 * swallowed (no unhandled rejection), and the timer never outlives the promise.
 */
export function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  if (!(ms > 0) || !Number.isFinite(ms)) return p;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StorageTimeout(`${what} took longer than ${ms} ms`)), ms);
  });
  p.catch(() => {});
  return Promise.race([p, timeout]).finally(() => timer !== undefined && clearTimeout(timer));
}
