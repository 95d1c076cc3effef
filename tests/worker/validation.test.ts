// The request contract: every parameter of the model card accepted and rejected at its edges,
// and every kind of bad input answered with the right status in OpenAI's error shape.
import { describe, expect, it } from 'vitest';
import { ChatCompletionRequest } from '../../shared/schemas';
import { ApiError } from '../../worker/lib/errors';
import { validate } from '../../worker/lib/request-body';
import { call, chat } from './helpers';

const base = { messages: [{ role: 'user', content: 'a fox' }] };

const accepted: Record<string, unknown>[] = [
  {},
  { model: 'openai/gpt-5.4-image-2' },
  { model: 'gpt-5.4-image-2' },
  { frequency_penalty: -2 },
  { frequency_penalty: 2 },
  { presence_penalty: -2 },
  { presence_penalty: 2 },
  { include_reasoning: true },
  { logit_bias: { '50256': -100, '11': 100 } },
  { logprobs: true, top_logprobs: 0 },
  { logprobs: true, top_logprobs: 20 },
  { max_completion_tokens: 1 },
  { max_tokens: 100 },
  { reasoning: { effort: 'high' } },
  { reasoning: { max_tokens: 0, exclude: true } },
  { response_format: { type: 'text' } },
  { response_format: { type: 'json_object' } },
  { response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } } },
  { structured_outputs: true },
  { seed: 0 },
  { seed: -1 },
  { seed: 2 ** 40 },
  { stop: 'x' },
  { stop: ['a', 'b', 'c', 'd'] },
  { stop: null },
  { modalities: ['image', 'text'] },
  { modalities: ['image'] },
  { modalities: ['text'] },
  { image_config: { aspect_ratio: '16:9' } },
  { image_config: { aspect_ratio: '21:9', quality: 'high' } },
  { stream: true },
  { stream: false },
  { stream: true, stream_options: { include_usage: true } },
  { user: 'user-123' },
  {
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: [{ type: 'text', text: 'hi' }] },
    ],
  },
  {
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'edit' },
          { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
        ],
      },
    ],
  },
  {
    messages: [
      {
        role: 'user',
        content: [{ type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,AAAA' } }],
      },
    ],
  },
  {
    messages: [
      { role: 'user', content: 'a' },
      { role: 'assistant', content: 'b' },
      { role: 'user', content: 'c' },
    ],
  },
];

const rejected: [Record<string, unknown>, string][] = [
  [{ model: 'gpt-4o' }, 'model'],
  [{ frequency_penalty: -2.01 }, 'frequency_penalty'],
  [{ frequency_penalty: 2.01 }, 'frequency_penalty'],
  [{ presence_penalty: 3 }, 'presence_penalty'],
  [{ presence_penalty: '1' }, 'presence_penalty'],
  [{ include_reasoning: 'yes' }, 'include_reasoning'],
  [{ logit_bias: { '50256': -101 } }, 'logit_bias'],
  [{ logit_bias: { '50256': 101 } }, 'logit_bias'],
  [{ logit_bias: { word: 1 } }, 'logit_bias'],
  [{ logprobs: 'true' }, 'logprobs'],
  [{ logprobs: true, top_logprobs: 21 }, 'top_logprobs'],
  [{ logprobs: true, top_logprobs: -1 }, 'top_logprobs'],
  [{ top_logprobs: 5 }, 'top_logprobs'],
  [{ max_completion_tokens: 0 }, 'max_completion_tokens'],
  [{ max_completion_tokens: 1.5 }, 'max_completion_tokens'],
  [{ max_tokens: 0 }, 'max_tokens'],
  [{ reasoning: { effort: 'extreme' } }, 'reasoning.effort'],
  [{ reasoning: { bogus: 1 } }, 'reasoning.bogus'],
  [{ response_format: { type: 'xml' } }, 'response_format.type'],
  [{ response_format: { type: 'json_schema' } }, 'response_format.json_schema'],
  [{ structured_outputs: 1 }, 'structured_outputs'],
  [{ seed: 1.5 }, 'seed'],
  [{ seed: -2 }, 'seed'],
  [{ seed: '42' }, 'seed'],
  [{ stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
  [{ stop: [] }, 'stop'],
  [{ stop: 5 }, 'stop'],
  [{ modalities: ['audio'] }, 'modalities[0]'],
  [{ modalities: [] }, 'modalities'],
  [{ image_config: { aspect_ratio: '7:3' } }, 'image_config.aspect_ratio'],
  [{ image_config: 'wide' }, 'image_config'],
  [{ image_config: { nested: { a: 1 } } }, 'image_config'],
  [{ stream: 'yes' }, 'stream'],
  [{ user: 5 }, 'user'],
  [{ temperature: 0.5 }, 'temperature'],
  [{ tools: [] }, 'tools'],
  [{ messages: [] }, 'messages'],
  [{ messages: 'hi' }, 'messages'],
  [{ messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].role'],
  [{ messages: [{ role: 'user' }] }, 'messages[0].content'],
  [{ messages: [{ role: 'user', content: [{ type: 'video', url: 'x' }] }] }, 'messages[0].content'],
  [{ messages: [{ role: 'user', content: 'x', extra: 1 }] }, 'messages[0].extra'],
];

describe('the request schema', () => {
  it.each(accepted)('accepts %j', (extra) => {
    expect(() => validate(ChatCompletionRequest, { ...base, ...extra })).not.toThrow();
  });

  it.each(rejected)('rejects %j naming %s', (extra, param) => {
    let err: unknown;
    try {
      validate(ChatCompletionRequest, { ...base, ...extra });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect(e.status).toBe(400);
    expect(e.param === param || e.param?.startsWith(param) || param.startsWith(e.param ?? '\u0000')).toBe(true);
  });

  it('names an unknown parameter in the message', () => {
    try {
      validate(ChatCompletionRequest, { ...base, temprature: 1 });
      expect.unreachable();
    } catch (e) {
      expect((e as ApiError).message).toContain('temprature');
      expect((e as ApiError).code).toBe('unknown_parameter');
    }
  });
});

describe('bad requests over HTTP', () => {
  it('malformed JSON is a 400', async () => {
    const a = await call('/v1/chat/completions', { method: 'POST', body: '{"messages": [' });
    expect(a.res.status).toBe(400);
    expect(a.json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json' });
  });

  it('a wrong content type is a 415', async () => {
    const a = await call('/v1/chat/completions', {
      method: 'POST',
      body: 'messages=hi',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(a.res.status).toBe(415);
  });

  it('a body over the limit is a 413, refused from its declared length', async () => {
    const a = await call('/v1/chat/completions', {
      method: 'POST',
      body: 'x',
      headers: { 'content-length': String(1024 ** 3) },
    });
    expect(a.res.status).toBe(413);
  });

  it('a body over the limit is a 413 while reading, without a declared length', async () => {
    let sent = 0;
    const chunk = new Uint8Array(1024 * 1024).fill(32);
    const body = new ReadableStream({
      pull(c) {
        sent += chunk.length;
        if (sent > 200 * 1024 * 1024) return c.close();
        c.enqueue(chunk);
      },
    });
    const a = await call('/v1/chat/completions', { method: 'POST', body, duplex: 'half' } as RequestInit);
    expect(a.res.status).toBe(413);
    expect(sent).toBeLessThan(100 * 1024 * 1024);
  });

  it('an inline image over the limit is a 413', async () => {
    const big = `data:image/png;base64,${'A'.repeat(14 * 1024 * 1024)}`;
    const a = await chat({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: big } }] }] });
    expect(a.res.status).toBe(413);
    expect(a.json.error.code).toBe('input_too_large');
  });

  it('a non-object body is a 400', async () => {
    for (const body of ['[]', '"hi"', '42', 'null']) {
      const a = await call('/v1/chat/completions', { method: 'POST', body });
      expect(a.res.status).toBe(400);
    }
  });
});
