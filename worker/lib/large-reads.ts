// Reading a fetch() body in large pieces. workerd's default reader hands a response body over
// in pieces of at most 4 KiB: an 8 MiB image as an 11 MB SSE line is ~2,700 reads, each with
// its promise, decode and parser call (measured under wrangler dev: 588 ms to read 11 MB that
// way; 121 ms in 35 reads with a BYOB reader and a 1 MiB view, most of it the upstream itself).
// A BYOB read returns everything that has arrived (up to the view's size) as soon as anything
// has, so a live stream's small events are not held back. Streams that are not byte streams
// (made in JS, e.g. in tests) fall back to the default reader.

export interface ChunkReader {
  /** The next piece. With `reuse`, valid only until the next read: decode or copy it first. */
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  cancel(reason?: unknown): Promise<void>;
}

/** The most one read returns. */
export const VIEW_BYTES = 1024 * 1024;
/**
 * A reused view starts this small and doubles (up to VIEW_BYTES) whenever a read fills it: most
 * answers are a few small events, and a 1 MiB view for each was 10% of a small streamed miss's
 * isolate CPU (bench/profile.mjs, 64 px images, c=16), while large lines grow it in a few reads.
 */
const FIRST_VIEW_BYTES = 16 * 1024;

export function largeChunkReader(body: ReadableStream<Uint8Array>, opts: { reuse?: boolean } = {}): ChunkReader {
  let byob: ReadableStreamBYOBReader;
  try {
    byob = body.getReader({ mode: 'byob' });
  } catch {
    const reader = body.getReader();
    return { read: () => reader.read(), cancel: (r) => reader.cancel(r) };
  }
  let buffer: ArrayBuffer | null = null;
  return {
    async read() {
      // Reused: one buffer for the whole body (each read transfers it back and forth), grown
      // when a read fills it. Not reused: a fresh view per read; a piece that fills little of
      // it is copied out so the 1 MiB buffer behind it is not kept alive.
      const view = opts.reuse ? (buffer ?? new ArrayBuffer(FIRST_VIEW_BYTES)) : new ArrayBuffer(VIEW_BYTES);
      const r = await byob.read(new Uint8Array(view));
      if (r.done || !r.value) return { done: true, value: undefined };
      if (opts.reuse) {
        const full = r.value.byteLength === r.value.buffer.byteLength;
        buffer =
          full && r.value.byteLength < VIEW_BYTES
            ? new ArrayBuffer(r.value.byteLength * 2)
            : (r.value.buffer as ArrayBuffer);
        return { done: false, value: r.value };
      }
      return { done: false, value: r.value.byteLength * 2 < VIEW_BYTES ? r.value.slice() : r.value };
    },
    cancel: (r) => byob.cancel(r),
  };
}
