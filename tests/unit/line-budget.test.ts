// Long lines under the isolate's budget, through the real pipeline: a second stream whose image
// line would go past the budget stops being read (its upstream paused) until the first stream's
// image has been stored, then finishes normally; with room for both, nobody waits. A large
// non-streaming answer (its declared length) waits the same way before its body is read.
import { describe, expect, it } from 'vitest';
import { toBase64 } from '../../worker/lib/bytes';
import { ByteBudget } from '../../worker/lib/byte-budget';
import type { ImageStore } from '../../worker/storage/image-store';
import type { GenEvent } from '../../worker/stream/events';
import { LONG_LINE } from '../../worker/stream/line-budget';
import { upstreamEvents } from '../../worker/stream/pipeline';

const MiB = 1024 * 1024;
const PIECE = 64 * 1024;

/** A PNG header (1x1) followed by noise: `bytes` long, enough for the image checks. */
function fakePng(bytes: number, seed: number): Uint8Array {
  const png = Uint8Array.from(atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ'), (c) => c.charCodeAt(0));
  const out = new Uint8Array(bytes);
  out.set(png);
  for (let i = png.length; i < bytes; i++) out[i] = (i * 31 + seed * 7) & 0xff;
  return out;
}

/** An SSE body with one image chunk, then the end; `log` records each piece as it is pulled. */
function upstream(name: string, imageBytes: number, log: string[]): Response {
  const url = `data:image/png;base64,${toBase64(fakePng(imageBytes, name.length))}`;
  const chunk = (delta: object, finish: string | null = null, extra: object = {}) =>
    `data: ${JSON.stringify({ id: name, object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
  const text =
    chunk({ role: 'assistant', content: '' }) +
    chunk({ images: [{ type: 'image_url', image_url: { url } }] }) +
    chunk({}, 'stop') +
    chunk({}, null, { choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }) +
    'data: [DONE]\n\n';
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(c) {
        if (at >= bytes.length) return c.close();
        log.push(`${name} read ${at + PIECE > bytes.length ? bytes.length : at + PIECE}`);
        c.enqueue(bytes.slice(at, (at += PIECE)));
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
}

function slowStore(name: () => string, log: string[]): ImageStore {
  return {
    async put() {
      const who = name();
      await new Promise((r) => setTimeout(r, 50));
      log.push(`${who} stored`);
    },
    get: async () => null,
  };
}

async function drain(stream: ReadableStream<GenEvent>): Promise<GenEvent[]> {
  const out: GenEvent[] = [];
  for await (const e of stream as unknown as AsyncIterable<GenEvent>) out.push(e);
  return out;
}

/** Stream a, then (headStartMs later) stream b, from upstreams made by `upstreamOf`, under one budget. */
async function race(
  budgetBytes: number,
  upstreamOf: (name: string, imageBytes: number, log: string[]) => Response = upstream,
  headStartMs = 20, // a is well into its line
) {
  const log: string[] = [];
  const lineBudget = new ByteBudget(budgetBytes, { maxWaitMs: 10_000, idleMs: 60_000 });
  const opts = (name: string) => ({
    store: slowStore(() => name, log),
    idleMs: 10_000,
    progressMs: 10_000,
    lineBudget,
  });
  const first = drain(upstreamEvents(upstreamOf('a', 600 * 1024, log), opts('a')));
  await new Promise((r) => setTimeout(r, headStartMs));
  const second = drain(upstreamEvents(upstreamOf('b', 600 * 1024, log), opts('b')));
  const answers = await Promise.all([first, second]);
  return { log, answers, lineBudget };
}

const bRead = (log: string[], before: number) =>
  log
    .slice(0, before)
    .filter((l) => l.startsWith('b read'))
    .map((l) => Number(l.split(' ')[2]))
    .pop() ?? 0;

describe('long lines under the byte budget', () => {
  it('pauses a second long line until the first is stored, then both finish', async () => {
    const { log, answers, lineBudget } = await race(1.5 * MiB);
    const aStored = log.indexOf('a stored');
    expect(aStored).toBeGreaterThan(0);
    // b read its line up to the point where it must hold bytes, and no further, until a was stored.
    expect(bRead(log, aStored)).toBeGreaterThanOrEqual(LONG_LINE);
    expect(bRead(log, aStored)).toBeLessThan(LONG_LINE + 2 * PIECE);
    expect(bRead(log, log.length)).toBeGreaterThan(800 * 1024);
    for (const events of answers) expect(events.at(-1)).toEqual({ type: 'end' });
    expect(lineBudget.inUse).toBe(0);
  });

  it('lets both lines run at once when the budget holds both', async () => {
    const { log, answers, lineBudget } = await race(16 * MiB);
    expect(bRead(log, log.indexOf('a stored'))).toBeGreaterThan(800 * 1024);
    for (const events of answers) expect(events.at(-1)).toEqual({ type: 'end' });
    expect(lineBudget.inUse).toBe(0);
  });
});

/** A non-streaming answer with one image, its length declared; `log` records when its body is first read. */
function jsonUpstream(name: string, imageBytes: number, log: string[]): Response {
  const url = `data:image/png;base64,${toBase64(fakePng(imageBytes, name.length))}`;
  const bytes = new TextEncoder().encode(
    JSON.stringify({
      id: name,
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: '', images: [{ type: 'image_url', image_url: { url } }] },
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    }),
  );
  let sent = false;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(c) {
        if (sent) return c.close();
        sent = true;
        log.push(`${name} read`);
        c.enqueue(bytes);
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, {
    headers: { 'content-type': 'application/json', 'content-length': String(bytes.length) },
  });
}

describe('large non-streaming answers under the byte budget', () => {
  const jsonRace = (budgetBytes: number) => race(budgetBytes, jsonUpstream, 10);

  it('reads the second body only once the first answer is stored', async () => {
    const { log, answers, lineBudget } = await jsonRace(MiB);
    expect(log).toEqual(['a read', 'a stored', 'b read', 'b stored']);
    for (const events of answers) expect(events.at(-1)).toEqual({ type: 'end' });
    expect(lineBudget.inUse).toBe(0);
  });

  it('reads both at once when the budget holds both', async () => {
    const { log, lineBudget } = await jsonRace(16 * MiB);
    expect(log.slice(0, 2)).toEqual(['a read', 'b read']);
    expect(lineBudget.inUse).toBe(0);
  });
});
