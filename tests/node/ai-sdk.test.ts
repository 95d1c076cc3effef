// The Vercel AI SDK against the running app. `@ai-sdk/openai-compatible`'s chat model does not read
// `message.images` (OpenRouter's image format), so chat images reach the SDK through OpenRouter's
// own provider pointed at Darkroom: generateText and streamText get them as files. The
// openai-compatible provider's image model speaks the Images API: generateImage works with it.
import { randomUUID } from 'node:crypto';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { createOpenRouter } from '@openrouter/ai-sdk-provider';
import { generateImage, generateText, streamText } from 'ai';
import { describe, expect, inject, it } from 'vitest';
import { scriptUpstream } from './upstream';

const base = inject('darkroomUrl');
const MODEL = 'openai/gpt-5.4-image-2';
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const isPng = (b: Uint8Array) => PNG.every((v, i) => b[i] === v);
const prompt = (label: string) => `${label} ${randomUUID()}`;

const compatible = createOpenAICompatible({ name: 'darkroom', baseURL: `${base}/v1`, apiKey: 'sk-local-dev' });

// OpenRouter's provider works with either dialect as its baseURL: OpenAI's (/v1) or OpenRouter's (/api/v1).
describe.each(['/v1', '/api/v1'])('Vercel AI SDK, OpenRouter provider on %s', (path) => {
  const openrouter = createOpenRouter({ baseURL: `${base}${path}`, apiKey: 'sk-local-dev' });

  it('generateText (OpenRouter provider) receives the image as a file', async () => {
    const result = await generateText({ model: openrouter(MODEL), prompt: prompt('ai generateText'), maxRetries: 0 });
    expect(result.text).toContain('Here is your image');
    expect(result.files).toHaveLength(1);
    expect(result.files[0].mediaType).toBe('image/png');
    expect(isPng(result.files[0].uint8Array)).toBe(true);
    expect(result.usage.totalTokens).toBeGreaterThan(0);
  });

  it('streamText (OpenRouter provider) streams the text and delivers the image as a file', async () => {
    const result = streamText({ model: openrouter(MODEL), prompt: prompt('ai streamText'), maxRetries: 0 });
    const parts: string[] = [];
    const streamedFiles: Uint8Array[] = [];
    for await (const part of result.fullStream) {
      parts.push(part.type);
      if (part.type === 'file') streamedFiles.push(part.file.uint8Array);
    }
    expect(parts).toContain('text-delta');
    expect(streamedFiles).toHaveLength(1);
    expect(isPng(streamedFiles[0])).toBe(true);
    const files = await result.files;
    expect(files.map((f) => f.mediaType)).toEqual(['image/png']);
    expect(await result.text).toContain('Here is your image');
  });

  it("streamText gets a large image relayed while it arrives, in OpenRouter's own chunk shape, as one whole file", async () => {
    const p = prompt('ai big image');
    await scriptUpstream(p, [{ kind: 'big-image', bytes: 512 * 1024, openrouter: true }]);
    const result = streamText({ model: openrouter(MODEL), prompt: p, maxRetries: 0 });
    const files: Uint8Array[] = [];
    for await (const part of result.fullStream) if (part.type === 'file') files.push(part.file.uint8Array);
    expect(files.map((f) => f.byteLength)).toEqual([512 * 1024]);
    expect(isPng(files[0])).toBe(true);
    expect(await result.finishReason).toBe('stop');
  });

  it('surfaces our errors: an unknown key is an API call error with status 401', async () => {
    const bad = createOpenRouter({ baseURL: `${base}${path}`, apiKey: 'sk_0000000000000000000000000000dead' });
    const err: any = await generateText({ model: bad(MODEL), prompt: 'x', maxRetries: 0 }).catch((e) => e);
    expect(err?.statusCode).toBe(401);
  });
});

describe('Vercel AI SDK, openai-compatible provider', () => {
  it('generateImage (openai-compatible image model) gets PNGs from the Images API', async () => {
    const { images, usage } = await generateImage({
      model: compatible.imageModel(MODEL),
      prompt: prompt('ai generateImage'),
      n: 2,
      size: '1024x1536',
      maxRetries: 0,
    });
    expect(images).toHaveLength(2);
    for (const img of images) {
      expect(isPng(img.uint8Array)).toBe(true);
      expect(img.mediaType).toBe('image/png');
    }
    expect(usage.totalTokens).toBeGreaterThan(0);
  });
});
