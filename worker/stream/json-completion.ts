// A non-streaming upstream answer (one chat.completion JSON) becomes the same GenEvents a
// stream would have produced, so one pipeline serves both.
import { type Chunk, type GenEvent, streamError } from './events';
import { upstreamErrorEvent } from './upstream-errors';

interface Completion {
  id?: string;
  created?: number;
  model?: string;
  choices?: Array<{ index?: number; message?: Record<string, unknown>; finish_reason?: string | null; error?: unknown }>;
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
  const choices = Array.isArray(c.choices) ? c.choices : null;
  if (!choices?.length) return [streamError(502, 'The upstream answered without choices.', 'upstream_invalid_response')];
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
      return { index: ch.index ?? i, delta: { role: String(role), content: content as string | null, ...msg }, finish_reason: ch.finish_reason ?? null };
    }),
    ...(usage ? { usage } : {}),
  };
  return [{ type: 'chunk', chunk }, { type: 'end' }];
}

export async function readJsonCompletion(res: Response, maxBytes: number): Promise<GenEvent[]> {
  const text = await readTextCapped(res, maxBytes);
  if (text === null) return [streamError(502, `The upstream answer is larger than ${maxBytes} bytes.`, 'upstream_too_large')];
  if (!text.trim()) return [streamError(502, 'The upstream answered with an empty body.', 'upstream_empty')];
  try {
    return completionToEvents(JSON.parse(text));
  } catch {
    return [streamError(502, 'The upstream answered with invalid JSON.', 'upstream_invalid_json')];
  }
}

export async function readTextCapped(res: Response, maxBytes: number): Promise<string | null> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    size += value.byteLength;
    if (size > maxBytes) {
      reader.cancel().catch(() => {});
      return null;
    }
    text += decoder.decode(value, { stream: true });
  }
}
