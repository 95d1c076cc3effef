// The one secret scrubber (worker/lib/secrets.ts): every configured secret, every byte.
import { describe, expect, it } from 'vitest';
import {
  registerSecrets,
  scrubBytes,
  scrubText,
  scrubUpstreamText,
  secretsOf,
  withEscapedForms,
} from '../../worker/lib/secrets';

const enc = new TextEncoder();
const dec = new TextDecoder();

async function through(secrets: string[], pieces: string[]): Promise<{ out: string; chunks: string[] }> {
  const chunks: string[] = [];
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of pieces) c.enqueue(enc.encode(p));
      c.close();
    },
  }).pipeThrough(scrubBytes(secrets));
  for await (const c of body as unknown as AsyncIterable<Uint8Array>) chunks.push(dec.decode(c));
  return { out: chunks.join(''), chunks };
}

describe('secretsOf', () => {
  it('knows every upstream key, fallbacks named by |VARIABLE included, the admin token and the Turnstile secret', () => {
    const env = {
      UPSTREAM_API_KEY: 'primary-key-0001',
      OPENROUTER_API_KEY: 'openrouter-key-0002',
      ADMIN_TOKEN: 'admin-token-0003',
      TURNSTILE_SECRET_KEY: 'turnstile-0004',
      UPSTREAM_FALLBACKS: 'openrouter, https://a.example/v1|A_KEY ,https://b.example/v1',
      A_KEY: 'fallback-key-0005',
      OTHER: 'not-a-secret-0006',
    };
    expect(secretsOf(env).sort()).toEqual([
      'admin-token-0003',
      'fallback-key-0005',
      'openrouter-key-0002',
      'primary-key-0001',
      'turnstile-0004',
    ]);
  });
});

describe('scrubBytes', () => {
  const secret = 'Zq.upstream.credential.7c1e9b';

  it('masks a secret split across chunks, keeping the length', async () => {
    const text = `data: {"message":"key ${secret} here"}\n\n`;
    for (let cut = 1; cut < text.length; cut += 3) {
      const { out } = await through([secret], [text.slice(0, cut), text.slice(cut)]);
      expect(out).not.toContain(secret);
      expect(out.length).toBe(text.length);
      expect(out).toContain('[redacted]');
    }
  });

  it('holds nothing back at the end of an SSE event', async () => {
    const { chunks } = await through([secret], ['data: {"a":1}\n\n', 'data: {"b":2}\n\n']);
    expect(chunks).toEqual(['data: {"a":1}\n\n', 'data: {"b":2}\n\n']);
  });

  it('passes text without secrets through unchanged, and masks every occurrence of each', async () => {
    const other = 'admin-token-abcdefgh';
    const { out } = await through([secret, other], [`${other}${secret}x${secret}`]);
    expect(out).not.toContain(secret);
    expect(out).not.toContain(other);
    expect(out.endsWith('*')).toBe(true);
    expect((await through([secret], ['plain text'])).out).toBe('plain text');
  });
});

describe('scrubText and scrubUpstreamText', () => {
  it('replaces registered secrets everywhere, and key-shaped strings in upstream text', () => {
    registerSecrets({ ADMIN_TOKEN: 'registered-admin-0123' });
    expect(scrubText('token registered-admin-0123!')).toBe('token [redacted]!');
    expect(scrubText('x', ['extra-secret-9999'])).toBe('x');
    expect(scrubUpstreamText('bad key sk-or-v1-abcdef0123456789 and Bearer abc.def')).toBe(
      'bad key [redacted] and [redacted]',
    );
    expect(scrubUpstreamText('word '.repeat(400)).length).toBe(1001); // capped, with an ellipsis
  });
});

describe('escaped forms', () => {
  // A secret with characters JSON, HTML and URLs escape: an echo of it leaves in escaped form.
  const secret = 'Key"with<odd>&chars\\0123';

  it('lists each secret with its JSON, HTML and URL forms', () => {
    expect(withEscapedForms([secret]).sort()).toEqual(
      [
        secret,
        JSON.stringify(secret).slice(1, -1),
        'Key&quot;with&lt;odd&gt;&amp;chars\\0123',
        encodeURIComponent(secret),
      ].sort(),
    );
    expect(withEscapedForms(['plain-secret-0123'])).toEqual(['plain-secret-0123']);
  });

  it('masks the secret in a JSON body, an HTML page and a URL, and in log text', async () => {
    for (const text of [
      JSON.stringify({ error: { message: `upstream said ${secret}` } }),
      `<p>${'Key&quot;with&lt;odd&gt;&amp;chars\\0123'}</p>`,
      `https://example.com/?k=${encodeURIComponent(secret)}`,
    ]) {
      const { out } = await through(withEscapedForms([secret]), [text]);
      expect(out, text).toContain('[redacted]');
      expect(out.length).toBe(text.length);
    }
    registerSecrets({ ADMIN_TOKEN: secret });
    expect(scrubText(JSON.stringify({ line: secret }))).toBe('{"line":"[redacted]"}');
  });
});
