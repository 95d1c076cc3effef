// OpenRouter's dialect (/api/v1/*): the same answers as OpenAI's, in OpenRouter's error shape.
// Its typed SDK errors (BadRequestResponseError, NotFoundResponseError, ...) parse only
// `{"error": {"code": <the HTTP status>, "message", "metadata"}}`; a mid-stream error is a
// chat.completion.chunk with a top-level `error` and `finish_reason: "error"` (wire-formats 1.6).
import { MODEL_ID } from '../../shared/model';
import type { GenMeta, StreamError } from '../stream/events';
import { openAiChat } from './openai-chat';
import type { ImageFormat } from './public';
import type { Renderer } from './types';

export interface OpenRouterErrorBody {
  error: { code: number; message: string; metadata: Record<string, unknown> | null };
}

/** OpenAI's type, code and param travel in `metadata` (OpenRouter's own `error_type` is our code). */
export function openRouterErrorBody(err: StreamError): OpenRouterErrorBody {
  const { message, type, param, code } = err.error;
  const metadata: Record<string, unknown> = {};
  if (code) metadata.error_type = code;
  if (type) metadata.type = type;
  if (param) metadata.param = param;
  return { error: { code: err.status, message, metadata: Object.keys(metadata).length ? metadata : null } };
}

const encoder = new TextEncoder();

/** The chunk OpenRouter ends a failed stream with. */
export function openRouterStreamError(err: StreamError, meta: GenMeta | undefined): Uint8Array[] {
  const chunk = {
    id: meta?.generationId ?? '',
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: MODEL_ID,
    ...openRouterErrorBody(err),
    choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }],
  };
  return [encoder.encode(`data: ${JSON.stringify(chunk)}\n\n`)];
}

/** OpenRouter chat completions: OpenAI's renderer with OpenRouter's error shapes. */
export function openRouterChat(opts: { imageFormat: ImageFormat }): Renderer {
  const chat = openAiChat(opts);
  return {
    ...chat,
    errorBody: openRouterErrorBody,
    sse(ctx) {
      const frames = chat.sse(ctx);
      return { ...frames, error: (err) => openRouterStreamError(err, ctx.metas[0]) };
    },
  };
}
