// Stage 1: bytes of an SSE body -> messages, per the WHATWG event-stream rules: LF, CRLF or CR
// line ends (a CRLF may be cut between two reads), comments, `event:` names, data fields of
// several lines joined by LF, a BOM at the start, and an event cut off before its blank line
// dropped. A line past MAX_LINE ends the stream with a 502.
//
// Written here rather than with eventsource-parser (which this replaced) because an image is one
// line of megabytes, and working on bytes lets that line be kept once: lines are split on the
// bytes (LF and CR never occur inside a UTF-8 sequence), each piece is copied once, and a long
// `data:` line keeps its bytes for the hand-off (`bytes`), which then writes them instead of
// encoding an 11 MB string again. Measured on 8 MiB streamed images (bench/profile.mjs):
// eventsource-parser's scan and join, our TextDecoder and the hand-off's encode were a quarter of
// the isolate's CPU per answer, and the parser's fragments and their join a second and third
// copy of the line.
import { concatBytes } from '../lib/bytes';
import { StageError, streamError } from './events';

/**
 * `event` is the SSE event name when the upstream sent one (`event: error` is an error).
 * `bytes`: the data's UTF-8 bytes, for a long event of one data line that is all ASCII (an
 * image chunk), so it can be written on without encoding `data` again.
 */
export type SseMessage =
  { kind: 'data'; data: string; event?: string; bytes?: Uint8Array } | { kind: 'comment'; text: string };

/** Longest SSE line we accept: a base64 image of our largest allowed size, with room. */
export const MAX_LINE = 64 * 1024 * 1024;
/** Data lines at least this long keep their bytes (shorter ones are cheap to encode). */
export const KEEP_BYTES_FROM = 64 * 1024;

export interface PendingLine {
  /** The number of lines ended before it. */
  line: number;
  /** Each piece as its text when it was ASCII (one character per byte), else its bytes. */
  pieces: readonly (string | Uint8Array)[];
  bytes: number;
}

export interface SseParseOptions {
  /** Called for every byte chunk that arrives (before parsing): the watchdog's sign of life. */
  onBytes?: () => void;
  maxLine?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const encoder = new TextEncoder();

/** A piece of a line as bytes (an ASCII piece's text encodes to the same bytes). */
const asBytes = (piece: string | Uint8Array): Uint8Array => (typeof piece === 'string' ? encoder.encode(piece) : piece);

/** The next LF (or CR) at or after `from`: in the read's text when it is ASCII (memchr), else in its bytes. */
const search = (chunk: Uint8Array, text: string | null, byte: typeof LF | typeof CR, from = 0) =>
  text !== null ? text.indexOf(byte === LF ? '\n' : '\r', from) : chunk.indexOf(byte, from);

/** The nearer of two line ends (-1: none). */
const nearer = (lf: number, cr: number) => (lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr));

/** The stage as a plain object: bytes in, complete messages out. Throws a StageError past maxLine. */
export function createSseDecoder(opts: { maxLine?: number } = {}) {
  const maxLine = opts.maxLine ?? MAX_LINE;
  // Whole lines are decoded, so no character is ever cut in two; bad bytes become U+FFFD.
  const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  let out: SseMessage[] = [];
  // The line being read, held once: each piece as its text when it is ASCII (the text is then a
  // copy of the bytes, byte for byte), else a copy of its bytes (a reader may reuse its buffer).
  let pieces: (string | Uint8Array)[] = [];
  let textOnly = true; // every piece so far is text
  let pieceBytes = 0;
  let keepBytes = true; // forgetBytes(): the pending line's bytes are not wanted
  let scanned: { chunk: Uint8Array; text: string | null } | undefined;
  let afterCr = false; // the last read ended with CR: an LF first in the next belongs to it
  let firstLine = true;
  let lines = 0; // lines ended so far: names the pending line for image-relay.ts
  // The event being gathered.
  let data: string[] = [];
  let eventName = '';
  let dataBytes: Uint8Array | undefined;

  const tooLarge = () =>
    new StageError(
      streamError(502, `The upstream sent an event larger than ${maxLine} characters.`, 'upstream_too_large'),
    );

  function dispatch() {
    if (data.length) {
      const message: SseMessage = { kind: 'data', data: data.length === 1 ? data[0] : data.join('\n') };
      if (eventName) message.event = eventName;
      if (dataBytes && data.length === 1) message.bytes = dataBytes;
      out.push(message);
    }
    data = [];
    eventName = '';
    dataBytes = undefined;
  }

  function field(line: string, bytes?: Uint8Array) {
    if (firstLine) {
      firstLine = false;
      if (line.charCodeAt(0) === 0xfeff) {
        line = line.slice(1);
        bytes = undefined;
      }
    }
    if (line.charCodeAt(0) === 0x3a) {
      out.push({ kind: 'comment', text: line.charCodeAt(1) === 0x20 ? line.slice(2) : line.slice(1) });
      return;
    }
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    if (name === 'data') {
      data.push(value);
      // Only the event's only data line keeps its bytes, and only if they are the characters.
      dataBytes = undefined;
      if (bytes && data.length === 1) {
        const skip = bytes.byteLength - value.length;
        if (skip === 5 || skip === 6) dataBytes = bytes.subarray(skip);
      }
    } else if (name === 'event') eventName = value;
    // id and retry mean nothing to a proxy; unknown fields are ignored, as the spec says.
  }

  /**
   * A read as text when it is all ASCII (character i is byte i), else null. Lines are searched in
   * it: String indexOf is memchr, TypedArray indexOf a loop over the bytes (measured in workerd,
   * 11 MB: 3 ms per byte search; one decode and three text searches 1.4 ms together). An image
   * line is searched for LF and CR on every read, and the relay for its quote.
   */
  function textOf(chunk: Uint8Array): string | null {
    if (scanned?.chunk === chunk) return scanned.text;
    const text = utf8.decode(chunk);
    // As many characters as bytes and no U+FFFD: only a lone invalid byte maps to one character.
    scanned = { chunk, text: text.length === chunk.length && !text.includes('\uFFFD') ? text : null };
    return scanned.text;
  }

  function endLine(last: Uint8Array, lastText: string | null) {
    lines++;
    const length = pieceBytes + last.byteLength;
    if (length > maxLine) throw tooLarge();
    if (length === 0) {
      firstLine = false;
      return dispatch();
    }
    const joined = textOnly && lastText !== null; // the line's text is its pieces' text
    const bytes = joined ? undefined : pieces.length ? concatBytes([...pieces.map(asBytes), last], length) : last;
    const line = joined ? (pieces.length ? (pieces.push(lastText), pieces.join('')) : lastText) : utf8.decode(bytes);
    const wanted = keepBytes;
    pieces = [];
    textOnly = true;
    pieceBytes = 0;
    keepBytes = true;
    // A long data line that is all ASCII (as many characters as bytes): keep its bytes.
    const keep = wanted && length >= KEEP_BYTES_FROM && line.length === length && line.startsWith('data:');
    field(
      line,
      keep ? (bytes === undefined ? encoder.encode(line) : bytes === last ? last.slice() : bytes) : undefined,
    );
  }

  const take = () => {
    const messages = out;
    out = [];
    return messages;
  };

  return {
    feed(chunk: Uint8Array): SseMessage[] {
      const text = textOf(chunk);
      scanned = undefined;
      let at = 0;
      if (afterCr && chunk[0] === LF) at = 1;
      afterCr = false;
      // Next LF and CR at or after `at`, found once each (-1: none left in this chunk).
      let lf = -2;
      let cr = -2;
      while (at < chunk.length) {
        if (lf !== -1 && lf < at) lf = search(chunk, text, LF, at);
        if (cr !== -1 && cr < at) cr = search(chunk, text, CR, at);
        const end = nearer(lf, cr);
        if (end < 0) {
          if (text !== null) pieces.push(at ? text.slice(at) : text);
          else {
            pieces.push(chunk.slice(at));
            textOnly = false;
          }
          pieceBytes += chunk.length - at;
          if (pieceBytes > maxLine) throw tooLarge();
          break;
        }
        endLine(chunk.subarray(at, end), text !== null ? text.slice(at, end) : null);
        at = end + 1;
        if (chunk[end] === CR) {
          if (at < chunk.length) {
            if (chunk[at] === LF) at++;
          } else afterCr = true;
        }
      }
      return take();
    },
    /** The line not ended yet: its number and its pieces so far (not to be changed). */
    pending(): PendingLine {
      return { line: lines, pieces, bytes: pieceBytes };
    },
    /** Where the first line of this read ends (LF or CR), or -1; feed then reuses the read's decode. */
    lineEndIn(chunk: Uint8Array): number {
      const text = textOf(chunk);
      return nearer(search(chunk, text, LF), search(chunk, text, CR));
    },
    /** The pending line's bytes will not be wanted (its message comes without `bytes`). */
    forgetBytes() {
      keepBytes = false;
    },
    /** Per the SSE spec an event cut off before its blank line is dropped. */
    end(): SseMessage[] {
      pieces = [];
      textOnly = true;
      pieceBytes = 0;
      return take();
    },
  };
}

export function sseParse(opts: SseParseOptions = {}): TransformStream<Uint8Array, SseMessage> {
  const decoder = createSseDecoder(opts);
  return new TransformStream({
    transform(bytes, out) {
      opts.onBytes?.();
      for (const m of decoder.feed(bytes)) out.enqueue(m);
    },
    flush(out) {
      // A truncated body then shows up downstream as a stream that never finished.
      for (const m of decoder.end()) out.enqueue(m);
    },
  });
}
