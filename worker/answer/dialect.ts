// Which API dialect a request speaks: OpenAI's on /v1/*, OpenRouter's on /api/v1/*. A dialect
// only picks renderers; validation, cache, limits, storage and records are the same pipeline.
import { openAiErrorBody } from './errors';
import { openAiChat } from './openai-chat';
import { openRouterChat, openRouterErrorBody } from './openrouter';
import type { ImageFormat } from './public';
import type { Renderer } from './types';

export type Dialect = 'openai' | 'openrouter';

/** The path decides: OpenRouter's clients call `/api/v1/...` (their base URL ends in /api/v1). */
export const dialectOf = (pathname: string): Dialect =>
  pathname.startsWith('/api/v1/') || pathname === '/api/v1' ? 'openrouter' : 'openai';

export const errorBodyFor = (dialect: Dialect | undefined): Renderer['errorBody'] =>
  dialect === 'openrouter' ? openRouterErrorBody : openAiErrorBody;

export const chatRenderer = (dialect: Dialect | undefined, opts: { imageFormat: ImageFormat }): Renderer =>
  dialect === 'openrouter' ? openRouterChat(opts) : openAiChat(opts);
