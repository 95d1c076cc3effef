// What a dialect plugs into the answer layer: a renderer maps a generation's events to the bytes
// of its shape (SSE frames, a JSON body, an error body); the writer (sse.ts, json.ts) does the
// transport: headers, keep-alive, the terminal event, closing, what it cost.
import type { Collected } from '../stream/collect';
import type { GenEvent, GenMeta, StreamError } from '../stream/events';

/** What every renderer knows about the answer it renders. */
export interface AnswerContext {
  /** The caller's origin: our image URLs and share links are built on it. */
  origin: string;
  /** One per generation (the Images API's `n`; chat has one), from each one's first event. */
  metas: GenMeta[];
}

/** Bytes to write, or the error that ends the answer instead (the writer renders it). */
export type Frames = Uint8Array[] | StreamError;

export const isFailure = (f: Frames): f is StreamError => !Array.isArray(f);

export interface SseRenderer {
  /**
   * The frames for one event of generation `i` (never `meta` or `keepalive`: the writer handles
   * those). `answer` is that generation's answer so far, this event folded in. An `error` event
   * is not passed here: the writer calls `error()`.
   */
  event(event: GenEvent, i: number, answer: Collected): Frames;
  /** The frames of an error that ends the stream (after it, nothing more is written). */
  error(err: StreamError): Uint8Array[];
  /** Every generation ended well: the closing frames (OpenAI: `data: [DONE]`). */
  done(): Uint8Array[];
}

export interface Renderer {
  /** The dialect's error body for an error answered as HTTP. */
  errorBody(err: StreamError): unknown;
  /** The finished answers (every one ended well) as the JSON body, or the error it is instead. */
  json(answers: Collected[], ctx: AnswerContext): { body: BodyInit; headers?: Record<string, string> } | StreamError;
  /** A fresh SSE state for one answer. */
  sse(ctx: AnswerContext): SseRenderer;
  /** The streamed answers fold image data too (a renderer that writes an image at the end needs it). */
  keepsImageData?: boolean;
}
