// The image relay: a streamed image chunk written on to the client while its line is still
// arriving, instead of once the whole line is in (the hand-off, store-images.ts, still stores the
// image before any answer names our URL). An image is one SSE line of megabytes; the bare
// pass-through floor forwards its bytes as they come, and waiting for the line's end cost
// Darkroom the line's whole transfer on top (bench handoff cell, README "round four").
//
// The relay starts on a long pending line whose beginning is a chat chunk with its first image's
// data URL open and nothing of ours to change before it: `{"id":…, envelope…, "choices":[{"index":
// 0,"delta":{"role"?,"content":""?,"images":[{"type":"image_url","image_url":{"url":"data:image/…`,
// whose first 4 KiB of base64 are an image's header. It then passes the URL's bytes on in batches.
// At the line's end it writes the rest of the upstream's line when that is nothing but the close
// of the same image chunk ('whole': the frame is the upstream's own line, as the hand-off wrote it
// before), and otherwise closes the JSON itself after the URL ('first-image': a finish reason,
// usage or more images follow in a frame rendered as usual). A line that breaks off is closed the
// same way; the error event that follows says why.
//
// Only for answers that want the upstream's data URL as it arrives (streamed chat, default image
// format), and only in the request's own isolate: the coalescing Durable Object hands whole lines.
import { idPrefix, type ImageRelayPiece } from './events';
import type { PendingLine } from './sse-parse';
import { type StoreImagesOptions, limitsOf, sniffBase64 } from './store-images';

/** A line is looked at once it is this long (shorter images go by the usual path). */
export const RELAY_FROM = 64 * 1024;
/** Bytes passed on at once: ~40 writes for an 8 MiB image instead of ~700 reads' worth. */
export const RELAY_BATCH = 256 * 1024;
/** The rest of the line after the URL is at most this long, or it is not the close of one image. */
const MAX_SUFFIX = 64 * 1024;
/** What closes a prefix that ends in `choices[0].delta.images[0].image_url.url`. */
const IMAGE_URL_CLOSERS = '}}]}}]}';
/**
 * The same with the choice's `finish_reason` (null) written in, which the envelope never has:
 * typed clients require the key in every streamed choice (@openrouter/sdk's ChatStreamChoice).
 */
const FIRST_IMAGE_CLOSE = '}}]},"finish_reason":null}]}';
/** The line's beginning looked at for the chunk's envelope and the image's header. */
const HEAD_BYTES = 8 * 1024;

const QUOTE = 0x22;
const utf8 = new TextDecoder();
const encoder = new TextEncoder();

type Piece = string | Uint8Array;

const cut = (p: Piece, from: number, to?: number): Piece =>
  typeof p === 'string' ? p.slice(from, to) : p.subarray(from, to);

/** The pieces as one new buffer: bytes copied, ASCII text written as its bytes. */
function bytesOf(parts: Piece[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    if (typeof p === 'string') encoder.encodeInto(p, out.subarray(at));
    else out.set(p, at);
    at += p.length;
  }
  return out;
}

interface Open {
  /** The SSE stage's number of the line relayed. */
  line: number;
  upstreamId: string;
  /** The JSON before the URL's opening quote. */
  prefix: string;
  /** Pieces of the pending line taken so far, and the line offset where the next one starts. */
  taken: number;
  offset: number;
  /** Line offset of the URL's first character (after its opening quote). */
  urlStart: number;
  urlEnded: boolean;
  urlBytes: number;
  batch: Piece[];
  batchBytes: number;
  suffix: Piece[];
  suffixBytes: number;
  sentFirst: boolean;
}

export function createImageRelay(opts: StoreImagesOptions) {
  const maxUrl = limitsOf(opts).maxBase64 + 64; // `data:image/…;base64,` and the base64 itself
  let open: Open | null = null;
  let declined = -1; // the line number looked at and passed over

  // A piece is the SSE stage's: its text when it was ASCII (one character per byte), else bytes.
  const take = (o: Open, piece: Piece) => {
    const size = piece.length; // characters or bytes: the same for ASCII text
    let start = o.offset;
    o.offset += size;
    if (start < 0) {
      piece = cut(piece, Math.min(size, -start)); // the `data: ` before the JSON
      start = 0;
    }
    if (o.urlEnded) return void (o.suffix.push(piece), (o.suffixBytes += piece.length));
    const from = Math.max(0, o.urlStart - start);
    // Text is searched with String indexOf (memchr), see sse-parse.ts textOf.
    const q = typeof piece === 'string' ? piece.indexOf('"', from) : piece.indexOf(QUOTE, from);
    const sent = q < 0 ? piece : cut(piece, 0, q);
    o.batch.push(sent);
    o.batchBytes += sent.length;
    o.urlBytes += Math.max(0, sent.length - from);
    if (q >= 0) {
      o.urlEnded = true;
      const rest = cut(piece, q + 1);
      o.suffix.push(rest);
      o.suffixBytes += rest.length;
    }
  };

  const flush = (o: Open, tail: Piece[] = [], end?: ImageRelayPiece['end']): ImageRelayPiece => {
    const piece: ImageRelayPiece = { bytes: bytesOf([...o.batch, ...tail]) };
    if (!o.sentFirst) piece.upstreamId = o.upstreamId;
    if (end) piece.end = end;
    o.sentFirst = true;
    o.batch = [];
    o.batchBytes = 0;
    return piece;
  };

  /** The frame closed right after the URL (its first image only): for a line that is not one image's chunk. */
  const closeFirstImage = (o: Open): ImageRelayPiece => {
    open = null;
    return flush(o, [`"${FIRST_IMAGE_CLOSE}`], 'first-image');
  };

  return {
    get open() {
      return open !== null;
    },
    /**
     * After the SSE stage took a read that left a line pending: starts relaying it (a long image
     * chunk), or passes on what it gained. Null: nothing to write now.
     */
    grew(pending: PendingLine): ImageRelayPiece | null {
      if (!open) {
        if (pending.bytes < RELAY_FROM || pending.line === declined) return null;
        declined = pending.line; // looked at once per line, whatever the outcome
        open = start(pending.line, pending.pieces);
        if (!open) return null;
      }
      const o = open;
      if (pending.line !== o.line) return closeFirstImage(o); // its end went unseen: never leave a frame open
      for (; o.taken < pending.pieces.length; o.taken++) take(o, pending.pieces[o.taken]);
      // Past the image limit the store refuses the image: stop relaying (the error follows).
      if (o.urlBytes > maxUrl) return closeFirstImage(o);
      if (o.suffixBytes > MAX_SUFFIX) return closeFirstImage(o);
      return !o.sentFirst || o.batchBytes >= RELAY_BATCH ? flush(o) : null;
    },
    /** The relayed line ends in this read, after `tail` (a view of the read, copied here). */
    finish(tail: Uint8Array): ImageRelayPiece {
      const o = open!;
      take(o, tail);
      if (!o.urlEnded || o.urlBytes > maxUrl) return closeFirstImage(o);
      const suffix = bytesOf(o.suffix);
      if (!isOneImageClose(o.prefix, suffix)) return closeFirstImage(o);
      open = null;
      return flush(o, ['"', suffix], 'whole');
    },
    /** The stream ends while a line is relayed: its frame is closed (an error event follows). */
    abort(): ImageRelayPiece | null {
      return open ? closeFirstImage(open) : null;
    },
  };

  function start(line: number, pieces: readonly Piece[]): Open | null {
    // The head from the pieces that are text (an image chunk is ASCII; a piece of bytes was not).
    let text = '';
    for (const p of pieces) {
      if (typeof p !== 'string') return null;
      text += p.slice(0, HEAD_BYTES - text.length);
      if (text.length >= HEAD_BYTES) break;
    }
    const json = text.startsWith('data: {') ? 6 : text.startsWith('data:{') ? 5 : -1;
    if (json < 0) return null;
    const quote = text.indexOf('"data:', json);
    if (quote < 0) return null;
    const prefix = text.slice(json, quote);
    if (closersOf(prefix) !== IMAGE_URL_CLOSERS) return null; // the URL of images[…] in a choice's delta, nothing deeper
    const urlHead = /^data:image\/[a-z0-9.+-]+;base64,/.exec(text.slice(quote + 1, quote + 80));
    if (!urlHead || !sniffBase64(text.slice(quote + 1 + urlHead[0].length))) return null;
    const upstreamId = envelopeId(prefix);
    if (upstreamId === null) return null;
    return {
      line,
      upstreamId,
      prefix,
      taken: 0,
      offset: -json, // line offsets count from the JSON's first byte
      urlStart: quote + 1 - json,
      urlEnded: false,
      urlBytes: 0,
      batch: [],
      batchBytes: 0,
      suffix: [],
      suffixBytes: 0,
      sentFirst: false,
    };
  }
}

/** What closes the containers open at the end of a JSON prefix ('' when not a clean prefix). */
export function closersOf(prefix: string): string {
  const stack: string[] = [];
  let inString = false;
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') stack.push('}');
    else if (c === '[') stack.push(']');
    else if (c === '}' || c === ']') {
      if (stack.pop() !== c) return '';
    }
  }
  return inString ? '' : stack.reverse().join('');
}

const ENVELOPE_DELTA = new Set(['role', 'content', 'images']);
const ENVELOPE_CHOICE = new Set(['index', 'delta']);

/**
 * The upstream's id when the prefix is a chunk's envelope and the start of its first choice's first
 * image, with nothing a rendered frame would change or repeat (usage, text, a finish); else null.
 */
function envelopeId(prefix: string): string | null {
  let chunk: {
    id?: unknown;
    usage?: unknown;
    error?: unknown;
    choices?: { index?: unknown; delta?: Record<string, unknown> & { images?: { image_url?: { url?: unknown } }[] } }[];
  };
  try {
    chunk = JSON.parse(`${prefix}""${IMAGE_URL_CLOSERS}`);
  } catch {
    return null;
  }
  if (typeof chunk?.id !== 'string' || !prefix.startsWith(idPrefix(chunk.id))) return null;
  if (chunk.usage !== undefined || chunk.error !== undefined || chunk.choices?.length !== 1) return null;
  const [choice] = chunk.choices;
  if (choice.index !== 0 || !Object.keys(choice).every((k) => ENVELOPE_CHOICE.has(k))) return null;
  const delta = choice.delta ?? {};
  if (!Object.keys(delta).every((k) => ENVELOPE_DELTA.has(k))) return null;
  if (delta.content !== undefined && delta.content !== '' && delta.content !== null) return null;
  if (delta.images?.length !== 1 || delta.images[0]?.image_url?.url !== '') return null;
  return chunk.id;
}

/** The rest of the line after the URL closes the same chunk with nothing ours to change (imageAhead's rule). */
function isOneImageClose(prefix: string, suffix: Uint8Array): boolean {
  let chunk: {
    usage?: unknown;
    error?: unknown;
    choices?: { finish_reason?: unknown; delta?: { images?: unknown[] } }[];
  };
  try {
    chunk = JSON.parse(`${prefix}""${utf8.decode(suffix)}`);
  } catch {
    return false;
  }
  if (!chunk || chunk.usage !== undefined || chunk.error !== undefined || !Array.isArray(chunk.choices)) return false;
  let images = 0;
  for (const c of chunk.choices) {
    if (c?.finish_reason !== null && c?.finish_reason !== undefined) return false;
    images += Array.isArray(c?.delta?.images) ? c.delta.images.length : 0;
  }
  return images === 1;
}
