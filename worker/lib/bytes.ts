// Byte helpers on the hot path. Uint8Array.fromBase64/toBase64 are native in workerd; the
// fallbacks keep unit tests runnable elsewhere.
type B64Uint8 = typeof Uint8Array & { fromBase64?: (s: string) => Uint8Array };
type B64Array = Uint8Array & { toBase64?: () => string };

export function fromBase64(b64: string): Uint8Array {
  const native = (Uint8Array as B64Uint8).fromBase64;
  if (native) return native(b64);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  const native = (bytes as B64Array).toBase64;
  if (native) return native.call(bytes);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const input = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return toHex(await crypto.subtle.digest('SHA-256', input));
}

function toHex(digest: ArrayBuffer): string {
  let hex = '';
  for (const b of new Uint8Array(digest)) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** Lets the event loop turn (I/O already queued, such as bytes handed to the client, goes on). */
export const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

const ALPHABET = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
/** A short random id (request ids: unique enough to find a log line, not a secret). */
export function shortId(length = 12): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let id = '';
  for (let i = 0; i < length; i++) id += ALPHABET[bytes[i] % ALPHABET.length];
  return id;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** An unguessable id: unbiased base62, 22 characters = 130 bits (generation and share ids). */
export function randomId(length = 22): string {
  let out = '';
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (b < 248 && out.length < length) out += BASE62[b % 62]; // 248 = 4 * 62: no modulo bias
    }
  }
  return out;
}

/** One buffer from many (one copy); a single part is returned as it is. */
export function concatBytes(parts: Uint8Array[], size = parts.reduce((n, p) => n + p.byteLength, 0)): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Base64 characters decoded (and hashed) per step of decodeAndHash: 1 MiB of text, 768 KiB of bytes. */
const HASH_STEP = 1 << 20;

/**
 * Base64 -> bytes and their SHA-256, a slice at a time through crypto.DigestStream, letting the
 * event loop turn between slices. Decoding and hashing an 8 MiB image in one go holds the
 * isolate's thread for ~40 ms (bench/profile.mjs: SHA-256 alone ~30 ms), during which nothing
 * already handed to the client is written; in slices, those writes go on in between.
 * Null when the text is not plain, unbroken base64 (whitespace, bad characters): the caller then
 * decodes it whole, as before. Small inputs (and runtimes without DigestStream) go in one step.
 */
export async function decodeAndHash(b64: string): Promise<{ bytes: Uint8Array; sha256: string } | null> {
  const Digest = (crypto as { DigestStream?: typeof DigestStream }).DigestStream;
  if (!Digest || b64.length <= HASH_STEP || !('setFromBase64' in Uint8Array.prototype)) return null;
  const padding = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  const size = (b64.length / 4) * 3 - padding;
  if (!Number.isInteger(size)) return null;
  // Decoded straight into the one output buffer (no per-slice arrays to collect).
  const bytes = new Uint8Array(size) as Uint8Array & { setFromBase64(s: string): { read: number; written: number } };
  const digest = new Digest('SHA-256');
  const writer = digest.getWriter();
  let at = 0;
  try {
    for (let i = 0; i < b64.length; i += HASH_STEP) {
      const slice = b64.slice(i, i + HASH_STEP);
      const { read, written } = (bytes.subarray(at) as typeof bytes).setFromBase64(slice);
      if (read !== slice.length) throw new Error('not plain base64');
      await writer.write(bytes.subarray(at, at + written));
      at += written;
      await nextTurn();
    }
    await writer.close();
  } catch {
    digest.digest.catch(() => {}); // rejects once aborted; nobody waits for it
    writer.abort().catch(() => {});
    return null;
  }
  if (at !== size) return null;
  return { bytes, sha256: toHex(await digest.digest) };
}
