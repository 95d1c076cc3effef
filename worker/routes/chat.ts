// POST /v1/chat/completions (and OpenRouter's /api/v1/chat/completions): validate -> (access ran as middleware) -> cache lookup ->
// generation (coalesced when cacheable) -> answer/ renders it as OpenAI SSE or JSON.
import { Hono } from 'hono';
import { answer } from '../answer';
import { chatRenderer, dialectOf } from '../answer/dialect';
import type { ImageFormat } from '../answer/public';
import { H } from '../../shared/headers';
import { LIMITS } from '../../shared/limits';
import { ChatCompletionRequest } from '../../shared/schemas';
import { cachePolicyFor } from '../cache/policy';
import type { AppEnv } from '../env';
import { generationEvents } from '../generation/generate';
import { resolveChatInputs } from '../generation/chat-inputs';
import { checkInputLimits } from '../generation/input-limits';
import { planGeneration } from '../generation/plan';
import { readJsonBody, validate } from '../lib/request-body';
import { settings } from '../lib/settings';

export const chatRoutes = new Hono<AppEnv>();

chatRoutes.post('/', async (c) => {
  const req = validate(ChatCompletionRequest, await readJsonBody(c.req.raw, LIMITS.maxBodyBytes));
  checkInputLimits(req);
  const access = c.get('access');
  access?.checkRequest?.(req);
  const origin = new URL(c.req.url).origin;
  // Input images checked (all of them, before anything is stored); stored once in R2 only when a
  // generation is admitted (a caller over its limits stores nothing).
  const inputs = await resolveChatInputs(req, c.env, origin);
  const plan = await planGeneration(inputs.req, cachePolicyFor(c.env, c.req.raw.headers, access), inputs);
  const imageFormat: ImageFormat = c.req.header(H.imageFormat)?.toLowerCase() === 'url' ? 'url' : 'data_url';
  const headers: Record<string, string> = {};
  if (req.max_tokens !== undefined) {
    headers[H.deprecation] = 'true';
    headers.warning = '299 - "max_tokens is deprecated; use max_completion_tokens"';
  }
  const timing: { lookupMs?: number } = {};
  const events = await generationEvents(c.env, plan, {
    withImageData: imageFormat !== 'url',
    relayImages: plan.stream && imageFormat === 'data_url',
    waitUntil: (p) => c.executionCtx.waitUntil(p),
    admit: async () => {
      await access?.admit?.();
      await inputs.store();
    },
    timing,
  });
  // Workers freeze timers during I/O, so this is coarse in production; it is exact locally.
  if (timing.lookupMs !== undefined)
    headers['server-timing'] = `cache;desc="cache lookup";dur=${timing.lookupMs.toFixed(2)}`;
  return answer([events], chatRenderer(dialectOf(c.req.path), { imageFormat }), {
    origin,
    stream: plan.stream,
    headers,
    keepAliveMs: settings(c.env).keepAliveMs,
    onSettled: (outcome) => {
      access?.settle?.(outcome.costUsd);
      c.get('reportOutcome')?.(outcome);
    },
  });
});
