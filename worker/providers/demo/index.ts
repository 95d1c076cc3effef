// The built-in offline provider: deterministic (same seed and prompt, byte-identical answer),
// a real PNG at the requested aspect ratio, streamed text and model-like usage. It speaks the
// OpenRouter wire format, so everything downstream runs exactly as with a real upstream: chat
// completions, and the Images API (POST /images shape) for Images API requests. Streams send
// two low-resolution previews before the final PNG (`image_generation.partial_image` on the
// Images API; on chat the `delta.darkroom.partial_image` a Darkroom upstream relays), so
// `npm start` shows progressive previews with no key.
import { dimensionsFor } from '../../../shared/model';
import { promptOf } from '../../../shared/prompt';
import { toBase64 } from '../../lib/bytes';
import type { Provider, UpstreamRequest } from '../types';
import { encodePng, hash32, paintScene } from './png';

/** A fixed `created` (the model's release day) keeps demo answers byte-identical. */
const CREATED = 1776729600;
const IMAGE_TOKENS = 1290;

export interface DemoOptions {
  /** Pause between streamed text chunks. */
  delayMs?: number;
  /** Pause before each preview (the model "working"). */
  partialDelayMs?: number;
  /** Previews per streamed image (0: none). */
  partialImages?: number;
  size?: number;
}

export function demo(opts: DemoOptions = {}): Provider {
  const o = {
    delayMs: opts.delayMs ?? 40,
    partialDelayMs: opts.partialDelayMs ?? 0,
    partialImages: opts.partialImages ?? 2,
    size: opts.size ?? 512,
  };
  return {
    name: 'demo',
    secrets: [],
    chat: (req) => Promise.resolve(answer(req, o)),
    images: (req) => Promise.resolve(imagesAnswer(req, o)),
  };
}

/** The previews of an image: the same scene painted at 1/16 and 1/4 of its size, then more. */
async function previews(width: number, height: number, prompt: string, seed: number, count: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const scale = 16 / 4 ** i;
    const w = Math.max(1, Math.round(width / scale));
    const h = Math.max(1, Math.round(height / scale));
    out.push(toBase64(await encodePng(w, h, paintScene(w, h, prompt, seed))));
  }
  return out;
}

interface Scene {
  prompt: string;
  seed: number;
  width: number;
  height: number;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

function sceneOf(body: Record<string, unknown>, size: number, text = ''): Scene {
  const prompt = promptOf(body);
  const seed = typeof body.seed === 'number' && body.seed >= 0 ? body.seed : Math.floor(Math.random() * 2 ** 31);
  const ratio = String((body.image_config as { aspect_ratio?: string } | undefined)?.aspect_ratio ?? '1:1');
  const { width, height } = dimensionsFor(ratio, size);
  const prompt_tokens = Math.max(1, Math.ceil(prompt.length / 4)) + inputImages(body) * 258;
  const completion_tokens = Math.ceil(text.length / 4) + IMAGE_TOKENS;
  return {
    prompt,
    seed,
    width,
    height,
    usage: { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens },
  };
}

/** Image parts of the user messages (the images to edit). */
function inputImages(body: Record<string, unknown>): number {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  return messages.reduce(
    (n, m) =>
      n + (Array.isArray(m?.content) ? m.content.filter((p: { type?: string }) => p?.type === 'image_url').length : 0),
    0,
  );
}

const wait = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

/** The Images API (OpenRouter's POST /images): `{created, data, usage}` or its stream events. */
function imagesAnswer({ body, signal }: UpstreamRequest, o: Required<DemoOptions>): Response {
  const scene = sceneOf(body, o.size);
  const final = async () =>
    toBase64(
      await encodePng(scene.width, scene.height, paintScene(scene.width, scene.height, scene.prompt, scene.seed)),
    );
  if (!body.stream) {
    return lazyJson(async () => ({
      created: CREATED,
      data: [{ b64_json: await final(), media_type: 'image/png' }],
      usage: scene.usage,
    }));
  }
  const encoder = new TextEncoder();
  const sse = (obj: object) => encoder.encode(`data: ${JSON.stringify(obj)}\n\n`);
  return sseResponse(async (c) => {
    c.enqueue(encoder.encode(': OPENROUTER PROCESSING\n\n'));
    const stages = await previews(scene.width, scene.height, scene.prompt, scene.seed, o.partialImages);
    for (const [i, b64] of stages.entries()) {
      await wait(o.partialDelayMs);
      if (signal?.aborted) return;
      c.enqueue(sse({ type: 'image_generation.partial_image', partial_image_index: i, b64_json: b64 }));
    }
    await wait(o.partialDelayMs);
    c.enqueue(
      sse({
        type: 'image_generation.completed',
        b64_json: await final(),
        media_type: 'image/png',
        created: CREATED,
        usage: scene.usage,
      }),
    );
    c.enqueue(encoder.encode('data: [DONE]\n\n'));
  });
}

function sseResponse(write: (c: ReadableStreamDefaultController<Uint8Array>) => Promise<void>): Response {
  const body = new ReadableStream<Uint8Array>({
    async start(c) {
      try {
        await write(c);
        c.close();
      } catch (err) {
        c.error(err);
      }
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } });
}

function answer({ body, signal }: UpstreamRequest, o: Required<DemoOptions>): Response {
  const { delayMs, size } = o;
  const prompt = promptOf(body);
  const seed = typeof body.seed === 'number' && body.seed >= 0 ? body.seed : Math.floor(Math.random() * 2 ** 31);
  const ratio = String((body.image_config as { aspect_ratio?: string } | undefined)?.aspect_ratio ?? '1:1');
  const wantsImage = !Array.isArray(body.modalities) || body.modalities.includes('image');
  const { width, height } = dimensionsFor(ratio, size);
  const inputs = inputImages(body);
  const text =
    `Demo provider (offline): a generated sketch for “${prompt.slice(0, 200)}”, seed ${seed}, ${ratio}` +
    `${inputs ? `, from ${inputs} input image${inputs > 1 ? 's' : ''}` : ''}. ` +
    'Set OPENROUTER_API_KEY for the real model.';
  const id = `gen-demo-${hash32(`${seed}\u0000${prompt}\u0000${ratio}`).toString(36)}`;
  const usage = {
    prompt_tokens: Math.max(1, Math.ceil(prompt.length / 4)) + inputs * 258,
    completion_tokens: Math.ceil(text.length / 4) + (wantsImage ? IMAGE_TOKENS : 0),
    total_tokens: 0,
  };
  usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
  const image = async () => {
    const png = await encodePng(width, height, paintScene(width, height, prompt, seed));
    return [{ type: 'image_url', image_url: { url: `data:image/png;base64,${toBase64(png)}` }, index: 0 }];
  };
  const base = {
    id,
    object: 'chat.completion.chunk',
    created: CREATED,
    model: String(body.model),
    provider: 'Darkroom demo',
  };

  if (!body.stream) {
    return lazyJson(async () => ({
      id,
      object: 'chat.completion',
      created: CREATED,
      model: String(body.model),
      provider: 'Darkroom demo',
      choices: [
        {
          index: 0,
          finish_reason: 'stop',
          message: { role: 'assistant', content: text, ...(wantsImage ? { images: await image() } : {}) },
        },
      ],
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
          const stages = await previews(width, height, prompt, seed, o.partialImages);
          for (const [i, b64] of stages.entries()) {
            await new Promise((r) => setTimeout(r, o.partialDelayMs));
            if (signal?.aborted) return c.close();
            const partial_image = {
              type: 'image_url',
              image_url: { url: `data:image/png;base64,${b64}` },
              partial_image_index: i,
            };
            c.enqueue(chunk({ darkroom: { partial_image } }));
          }
          if (o.partialDelayMs > 0) await new Promise((r) => setTimeout(r, o.partialDelayMs));
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
