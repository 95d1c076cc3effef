// The built-in offline provider: deterministic (same seed and prompt, byte-identical answer),
// a real PNG at the requested aspect ratio, streamed text and model-like usage. It speaks the
// OpenRouter wire format, so everything downstream runs exactly as with a real upstream.
import { dimensionsFor } from '../../../shared/model';
import { promptOf } from '../../../shared/prompt';
import { toBase64 } from '../../lib/bytes';
import type { Provider, UpstreamRequest } from '../types';
import { encodePng, hash32, paintScene } from './png';

/** A fixed `created` (the model's release day) keeps demo answers byte-identical. */
const CREATED = 1776729600;
const IMAGE_TOKENS = 1290;

export function demo(opts: { delayMs?: number; size?: number } = {}): Provider {
  return { name: 'demo', secrets: [], chat: (req) => Promise.resolve(answer(req, opts.delayMs ?? 40, opts.size ?? 512)) };
}

function answer({ body, signal }: UpstreamRequest, delayMs: number, size: number): Response {
  const prompt = promptOf(body);
  const seed = typeof body.seed === 'number' && body.seed >= 0 ? body.seed : Math.floor(Math.random() * 2 ** 31);
  const ratio = String((body.image_config as { aspect_ratio?: string } | undefined)?.aspect_ratio ?? '1:1');
  const wantsImage = !Array.isArray(body.modalities) || body.modalities.includes('image');
  const { width, height } = dimensionsFor(ratio, size);
  const text = `Demo provider (offline): a generated sketch for “${prompt.slice(0, 200)}”, seed ${seed}, ${ratio}. ` +
    'Set OPENROUTER_API_KEY for the real model.';
  const id = `gen-demo-${hash32(`${seed}\u0000${prompt}\u0000${ratio}`).toString(36)}`;
  const usage = {
    prompt_tokens: Math.max(1, Math.ceil(prompt.length / 4)),
    completion_tokens: Math.ceil(text.length / 4) + (wantsImage ? IMAGE_TOKENS : 0),
    total_tokens: 0,
  };
  usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
  const image = async () => {
    const png = await encodePng(width, height, paintScene(width, height, prompt, seed));
    return [{ type: 'image_url', image_url: { url: `data:image/png;base64,${toBase64(png)}` }, index: 0 }];
  };
  const base = { id, object: 'chat.completion.chunk', created: CREATED, model: String(body.model), provider: 'Darkroom demo' };

  if (!body.stream) {
    return lazyJson(async () => ({
      id, object: 'chat.completion', created: CREATED, model: String(body.model), provider: 'Darkroom demo',
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: text, ...(wantsImage ? { images: await image() } : {}) } }],
      usage,
    }));
  }

  const words = text.split(/(?<= )/);
  const encoder = new TextEncoder();
  const sse = (obj: object) => encoder.encode(`data: ${JSON.stringify(obj)}\n\n`);
  const chunk = (delta: object, finish: string | null = null, extra: object = {}) =>
    sse({ ...base, choices: [{ index: 0, delta, finish_reason: finish }], ...extra });
  const body$ = new ReadableStream<Uint8Array>({
    async start(c) {
      const wait = () => (delayMs > 0 ? new Promise((r) => setTimeout(r, delayMs)) : Promise.resolve());
      try {
        c.enqueue(encoder.encode(': OPENROUTER PROCESSING\n\n'));
        c.enqueue(chunk({ role: 'assistant', content: '' }));
        for (let i = 0; i < words.length; i += 3) {
          await wait();
          if (signal?.aborted) return c.close();
          c.enqueue(chunk({ content: words.slice(i, i + 3).join('') }));
        }
        if (wantsImage) {
          for (let i = 0; i < 3; i++) await wait();
          c.enqueue(chunk({ content: '', images: await image() }));
        }
        c.enqueue(chunk({}, 'stop'));
        c.enqueue(sse({ ...base, choices: [], usage }));
        c.enqueue(encoder.encode('data: [DONE]\n\n'));
        c.close();
      } catch (err) {
        c.error(err);
      }
    },
  });
  return new Response(body$, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } });
}

function lazyJson(make: () => Promise<object>): Response {
  const body = new ReadableStream<Uint8Array>({
    async start(c) {
      c.enqueue(new TextEncoder().encode(JSON.stringify(await make())));
      c.close();
    },
  });
  return new Response(body, { headers: { 'content-type': 'application/json' } });
}
