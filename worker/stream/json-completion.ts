// A non-streaming upstream answer (one chat.completion JSON) becomes the same GenEvents a
// stream would have produced, so one pipeline serves both.
import { concatBytes } from '../lib/bytes';
import { largeChunkReader } from '../lib/large-reads';
import { parseChunkJson } from './parse-chunk';
import { type Chunk, connectionLost, type GenEvent, streamError } from './events';
import { seconds, timeoutEvent } from './watchdog';
import { upstreamErrorEvent } from './upstream-errors';
import { imagesAnswerToEvents, isImagesAnswer } from './images-api-events';

interface Completion {
  id?: string;
  created?: number;
  model?: string;
  choices?: Array<{
    index?: number;
    message?: Record<string, unknown>;
    finish_reason?: string | null;
    error?: unknown;
  }>;
  usage?: Chunk['usage'];
  error?: unknown;
  [k: string]: unknown;
}

export function completionToEvents(body: unknown): GenEvent[] {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return [streamError(502, 'The upstream answered with JSON that is not an object.', 'upstream_invalid_json')];
  }
  const c = body as Completion;
  if (c.error) return [upstreamErrorEvent(c.error, 502)];
  if (isImagesAnswer(c)) return imagesAnswerToEvents(c);
  const choices = Array.isArray(c.choices) ? c.choices : null;
  if (!choices?.length)
    return [streamError(502, 'The upstream answered without choices.', 'upstream_invalid_response')];
  const failed = choices.find((ch) => ch?.finish_reason === 'error' || ch?.error);
  if (failed) return [upstreamErrorEvent(failed.error ?? { message: 'generation failed' }, 502)];
  if (!choices.every((ch) => ch?.finish_reason)) {
    return [streamError(502, 'The upstream answer has no finish_reason.', 'upstream_truncated')];
  }
  const { choices: _c, usage, object: _o, ...rest } = c;
  const chunk: Chunk = {
    ...rest,
    id: String(c.id ?? ''),
    object: 'chat.completion.chunk',
    created: Number(c.created ?? Math.floor(Date.now() / 1000)),
    model: String(c.model ?? ''),
    choices: choices.map((ch, i) => {
      const { role = 'assistant', content = null, ...msg } = ch.message ?? {};
      return {
        index: ch.index ?? i,
        delta: { role: String(role), content: content as string | null, ...msg },
        finish_reason: ch.finish_reason ?? null,
      };
    }),
    ...(usage ? { usage } : {}),
  };
  return [{ type: 'chunk', chunk }, { type: 'end' }];
}

export interface ReadLimits {
  /** Longest silence between two byte chunks. */
  idleMs?: number;
  /** Longest time for the whole body. */
  totalMs?: number;
}

export async function readJsonCompletion(
  res: Response,
  maxBytes: number,
  limits: ReadLimits = {},
): Promise<GenEvent[]> {
  let text: string | null;
  try {
    const declared = Number(res.headers.get('content-length') ?? NaN);
    // With a declared length within the cap, the runtime reads and decodes natively: a JS read
    // loop over an 8 MiB body cost a quarter of the CPU of the answer (bench/profile.mjs).
    text =
      declared > 0 && declared <= maxBytes
        ? await withinTotal(res.text(), limits.totalMs)
        : await readTextCapped(res, maxBytes, limits);
  } catch (err) {
    if (err instanceof ReadTimeout) return [timeoutEvent(err.message)];
    return [connectionLost()];
  }
  if (text === null)
    return [streamError(502, `The upstream answer is larger than ${maxBytes} bytes.`, 'upstream_too_large')];
  if (!text.trim()) return [streamError(502, 'The upstream answered with an empty body.', 'upstream_empty')];
  let parsed: unknown;
  try {
    parsed = parseChunkJson(text);
  } catch {
    return [streamError(502, 'The upstream answered with invalid JSON.', 'upstream_invalid_json')];
  }
  return completionToEvents(parsed);
}

export class ReadTimeout extends Error {}

/**
 * A body as text, or null when it is larger than maxBytes (then it is not read further).
 * Throws ReadTimeout when the body goes silent for idleMs or takes longer than totalMs.
 */
export async function readTextCapped(res: Response, maxBytes: number, limits: ReadLimits = {}): Promise<string | null> {
  if (!res.body) return '';
  const reader = largeChunkReader(res.body);
  // Bytes are gathered and decoded once: decoding piece by piece into a growing string cost
  // a seventh of the CPU of an 8 MiB answer.
  const parts: Uint8Array[] = [];
  let size = 0;
  let timedOut: string | null = null;
  const { idleMs, totalMs } = limits;
  const started = Date.now();
  let last = started;
  const timer =
    idleMs || totalMs
      ? setInterval(
          () => {
            const now = Date.now();
            if (idleMs && now - last > idleMs) timedOut = `The upstream sent nothing for ${seconds(idleMs)}.`;
            else if (totalMs && now - started > totalMs)
              timedOut = `The upstream did not finish its answer within ${seconds(totalMs)}.`;
            if (timedOut) reader.cancel().catch(() => {});
          },
          Math.max(10, Math.min(idleMs || Infinity, totalMs || Infinity) / 4),
        )
      : undefined;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (timedOut) throw new ReadTimeout(timedOut);
      if (done) return new TextDecoder().decode(concatBytes(parts, size));
      last = Date.now();
      size += value.byteLength;
      if (size > maxBytes) {
        reader.cancel().catch(() => {});
        return null;
      }
      parts.push(value);
    }
  } finally {
    if (timer !== undefined) clearInterval(timer);
  }
}

function withinTotal<T>(p: Promise<T>, totalMs: number | undefined): Promise<T> {
  if (!totalMs) return p;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ReadTimeout(`The upstream did not finish its answer within ${seconds(totalMs)}.`)),
      totalMs,
    );
  });
  return Promise.race([p, timeout]).finally(() => timer !== undefined && clearTimeout(timer));
}
