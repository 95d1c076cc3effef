// GET /openapi.json and GET /docs: the document is generated from the validators, so its request
// schemas must accept and reject exactly what the validators do; real answers must match its
// response schemas; and the page must explain every endpoint with no script.
import { Validator } from '@cfworker/json-schema';
import { describe, expect, it } from 'vitest';
import { ChatCompletionRequest, ImageGenerationRequest, OpenRouterImagesRequest } from '../../shared/schemas';
import { FIELD_DOCS, openApiDocument } from '../../worker/openapi/document';
import committed from '../../worker/openapi/openapi.json';
import { call, chat, uniquePrompt } from './helpers';

let doc: any;
async function openapi() {
  doc ??= (await call('/openapi.json', { key: null })).json;
  return doc;
}

function validatorFor(d: any, name: string) {
  return new Validator({ $ref: `#/components/schemas/${name}`, components: d.components } as any, '2020-12', false);
}

const chatBase = { messages: [{ role: 'user', content: 'a fox' }] };
const chatSamples: Record<string, unknown>[] = [
  {},
  { model: 'openai/gpt-5.4-image-2' },
  { model: 'gpt-5.4-image-2' },
  { model: 'gpt-4o' },
  { model: 5 },
  { frequency_penalty: -2 },
  { frequency_penalty: 2.01 },
  { presence_penalty: '1' },
  { logit_bias: { '50256': -100 } },
  { logit_bias: { '50256': 101 } },
  { logit_bias: { word: 1 } },
  { logit_bias: Object.fromEntries(Array.from({ length: 1025 }, (_, i) => [String(i), 1])) },
  { logprobs: true, top_logprobs: 5 },
  { top_logprobs: 5 },
  { logprobs: false, top_logprobs: 5 },
  { logprobs: true, top_logprobs: 21 },
  { max_completion_tokens: 0 },
  { max_completion_tokens: 1.5 },
  { max_tokens: 100 },
  { reasoning: { effort: 'high' } },
  { reasoning: { effort: 'extreme' } },
  { reasoning: { bogus: 1 } },
  { response_format: { type: 'json_object' } },
  { response_format: { type: 'json_schema' } },
  { response_format: { type: 'xml' } },
  { response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } } },
  { seed: 0 },
  { seed: -1 },
  { seed: -2 },
  { seed: 1.5 },
  { seed: 2 ** 40 },
  { seed: 2 ** 53 },
  { stop: 'x' },
  { stop: ['a', 'b', 'c', 'd', 'e'] },
  { stop: [] },
  { stop: null },
  { modalities: ['image'] },
  { modalities: ['audio'] },
  { modalities: [] },
  { modalities: ['image', 'text', 'image'] },
  { image_config: { aspect_ratio: '16:9' } },
  { image_config: { aspect_ratio: '7:3' } },
  { image_config: { quality: 'high', n: 2, hd: true } },
  { image_config: { nested: { a: 1 } } },
  { image_config: { list: [1] } },
  { image_config: 'wide' },
  { stream: true, stream_options: { include_usage: true } },
  { stream_options: { other: 1 } },
  { user: 'u' },
  { user: 5 },
  { temperature: 0.5 },
  { tools: [] },
  { messages: [] },
  { messages: 'hi' },
  { messages: [{ role: 'tool', content: 'x' }] },
  { messages: [{ role: 'user' }] },
  { messages: [{ role: 'user', content: [{ type: 'video', url: 'x' }] }] },
  { messages: [{ role: 'user', content: 'x', extra: 1 }] },
  {
    messages: [
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://e.x/a.png', detail: 'high' } }] },
    ],
  },
  { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: '' } }] }] },
  {
    messages: [
      {
        role: 'user',
        content: [{ type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,AA' } }],
      },
    ],
  },
  {
    messages: [
      {
        role: 'assistant',
        content: null,
        images: [{ type: 'image_url', image_url: { url: 'data:x' }, index: 0, extra: 1 }],
      },
    ],
  },
  { messages: [{ role: 'system', content: [] }] },
  {
    messages: [
      { role: 'developer', content: 'be brief' },
      { role: 'user', content: 'x' },
    ],
  },
];
const imageSamples: Record<string, unknown>[] = [
  { prompt: 'x' },
  {},
  { prompt: '' },
  { prompt: 5 },
  { prompt: 'x', bogus: 1 },
  { prompt: 'x', n: 0 },
  { prompt: 'x', n: 4 },
  { prompt: 'x', n: 5 },
  { prompt: 'x', n: 1.5 },
  { prompt: 'x', size: '1536x1024' },
  { prompt: 'x', size: '640x480' },
  { prompt: 'x', size: 'auto' },
  { prompt: 'x', model: 'gpt-5.4-image-2' },
  { prompt: 'x', model: 'dall-e-3' },
  { prompt: 'x', quality: 'hd' },
  { prompt: 'x', quality: 'ultra' },
  { prompt: 'x', background: 'transparent' },
  { prompt: 'x', output_format: 'gif' },
  { prompt: 'x', output_compression: 101 },
  { prompt: 'x', moderation: 'low' },
  { prompt: 'x', response_format: 'url' },
  { prompt: 'x', response_format: 'data_url' },
  { prompt: 'x', partial_images: 4 },
  { prompt: 'x', style: 'vivid' },
  { prompt: 'x', seed: -1 },
  { prompt: 'x', seed: -2 },
  { prompt: 'x', stream: 'yes' },
  { prompt: 'x', aspect_ratio: '21:9' },
  { prompt: 'x', aspect_ratio: '1:8' },
  { prompt: 'x'.repeat(32_001) },
];

/** Every property set to a spread of wrong and edge values: catches drift the hand-picked samples miss. */
function mutations(schema: any, base: Record<string, unknown>): Record<string, unknown>[] {
  const values: unknown[] = [null, true, 0, -1, 1, 1.5, 2 ** 31, '', 'x', '1:1', [], ['image'], {}, { type: 'text' }];
  return Object.keys(schema.properties).flatMap((k) => values.map((v) => ({ ...base, [k]: v })));
}

describe('GET /openapi.json', () => {
  it('serves the document generated from the current schemas (run `npm run build` after changing them)', async () => {
    expect(committed).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    const served = (await call('/openapi.json', { key: null })).json;
    expect({ ...served, servers: undefined }).toEqual({ ...committed, servers: undefined });
    expect(served.servers).toEqual([{ url: 'https://darkroom.test' }]);
  });

  it('is OpenAPI 3.1 and documents every route', async () => {
    const a = await call('/openapi.json', { key: null });
    expect(a.res.status).toBe(200);
    expect(a.json.openapi).toBe('3.1.0');
    expect(a.json.servers).toEqual([{ url: 'https://darkroom.test' }]);
    for (const p of [
      '/v1/chat/completions',
      '/v1/images/generations',
      '/v1/generations/{id}',
      '/v1/models',
      '/v1/models/{model}',
      '/i/{name}',
      '/i/{sha256}/{variant}',
      '/s/{id}',
      '/embed',
      '/v1/admin/keys',
      '/v1/admin/keys/{id}',
      '/v1/stats',
      '/healthz',
      '/openapi.json',
      '/docs',
    ]) {
      expect(a.json.paths[p], p).toBeDefined();
    }
    expect(a.json.paths['/v1/chat/completions'].post.requestBody.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/ChatCompletionRequest',
    );
    expect(a.json.paths['/v1/images/generations'].post.requestBody.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/ImageGenerationRequest',
    );
  });

  it.each([
    ['ChatCompletionRequest', ChatCompletionRequest, chatSamples.map((s) => ({ ...chatBase, ...s })), chatBase],
    ['ImageGenerationRequest', ImageGenerationRequest, imageSamples, { prompt: 'x' }],
    ['OpenRouterImagesRequest', OpenRouterImagesRequest, imageSamples, { prompt: 'x' }],
  ] as const)(
    '%s in the document accepts and rejects exactly what the validator does',
    async (name, zod, samples, base) => {
      const d = await openapi();
      const v = validatorFor(d, name);
      const all = [...samples, ...mutations(d.components.schemas[name], base)];
      const disagree = all
        .map((s) => ({ s, zod: zod.safeParse(s).success, doc: v.validate(s).valid }))
        .filter((r) => r.zod !== r.doc);
      expect(disagree.map((r) => `${JSON.stringify(r.s).slice(0, 160)} zod=${r.zod} doc=${r.doc}`)).toEqual([]);
      expect(all.filter((s) => zod.safeParse(s).success).length).toBeGreaterThan(10);
    },
  );

  it('describes every request field', async () => {
    const d = await openapi();
    for (const name of Object.keys(FIELD_DOCS) as (keyof typeof FIELD_DOCS)[]) {
      for (const [field, p] of Object.entries(d.components.schemas[name].properties as Record<string, any>)) {
        expect(p.description, `${name}.${field}`).toBeTruthy();
      }
      for (const field of Object.keys(FIELD_DOCS[name]))
        expect(
          d.components.schemas[name].properties[field],
          `${name}.${field} is documented but does not exist`,
        ).toBeDefined();
    }
  });

  it('matches real answers: chat JSON and chunks, images JSON and events, records, models, errors', async () => {
    const d = await openapi();
    const check = (name: string, value: unknown) => {
      const r = validatorFor(d, name).validate(value);
      expect(r.valid, `${name}: ${JSON.stringify(r.errors.slice(0, 3))}`).toBe(true);
    };
    const prompt = uniquePrompt('docs shapes');
    check('ChatCompletion', (await chat({ messages: [{ role: 'user', content: prompt }], seed: 11 })).json);
    const streamed = await chat({ messages: [{ role: 'user', content: prompt }], stream: true });
    for (const block of streamed.text.split('\n\n')) {
      if (block.startsWith('data: {')) check('ChatCompletionChunk', JSON.parse(block.slice(6)));
    }
    const images = await call('/v1/images/generations', {
      method: 'POST',
      body: JSON.stringify({ prompt, n: 2, seed: 11 }),
    });
    check('ImagesResponse', images.json);
    const events = await call('/v1/images/generations', {
      method: 'POST',
      body: JSON.stringify({ prompt, stream: true }),
    });
    const completed = events.text.split('\n\n').filter((b) => b.startsWith('event: image_generation.completed'));
    expect(completed.length).toBe(1);
    for (const b of completed) check('ImageGenerationCompletedEvent', JSON.parse(b.split('\ndata: ')[1]));
    check('ModelList', (await call('/v1/models', { key: null })).json);
    check('Model', (await call('/v1/models/gpt-5.4-image-2', { key: null })).json);
    check('Error', (await chat({ ...chatBase, temperature: 1 })).json);
    const id = images.json.data[0].darkroom.generation_id;
    let rec: any;
    for (let i = 0; i < 100 && !rec?.id; i++) {
      rec = (await call(`/v1/generations/${id}`)).json;
      if (!rec?.id) await new Promise((r) => setTimeout(r, 25));
    }
    check('GenerationRecord', rec);
  });
});

describe('GET /docs', () => {
  it('is a server-rendered page without scripts that explains every endpoint with examples', async () => {
    const d = await openapi();
    const a = await call('/docs', { key: null });
    expect(a.res.status).toBe(200);
    expect(a.res.headers.get('content-type')).toContain('text/html');
    expect(a.res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(a.text).not.toMatch(/<script|\son[a-z]+=/i);
    for (const [path, item] of Object.entries(d.paths as Record<string, any>)) {
      for (const method of Object.keys(item)) {
        expect(a.text, `${method} ${path}`).toContain(
          `<span class="method ${method}">${method.toUpperCase()}</span> <code class="path">${path}</code>`,
        );
      }
    }
    for (const field of Object.keys(FIELD_DOCS.ImageGenerationRequest))
      expect(a.text).toContain(`<code>${field}</code>`);
    expect(a.text).toContain('language-sh');
    expect(a.text).toContain('from openai import OpenAI');
    expect(a.text).toContain('import OpenAI from &#39;openai&#39;');
    expect(a.text).toContain('curl -s https://darkroom.test/v1/images/generations');
    expect(a.text).toContain('Bearer sk-local-dev');
  });
});
