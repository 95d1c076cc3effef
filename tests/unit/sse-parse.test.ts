// The SSE stage must see the same events however the upstream's bytes are cut: at every byte
// boundary, in random chunkings, with CRLF or CR line endings, comment lines, a multi-byte
// character split in two, and a data line of several megabytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StageError } from '../../worker/stream/events';
import { createSseDecoder, KEEP_BYTES_FROM, type SseMessage, sseParse } from '../../worker/stream/sse-parse';

const enc = new TextEncoder();

type Item = SseMessage;

function render(items: Item[], eol: '\n' | '\r\n' | '\r'): Uint8Array {
  let s = '';
  for (const m of items) {
    if (m.kind === 'comment') s += `:${m.text ? ` ${m.text}` : ''}${eol}${eol}`;
    else
      s += `${m.event ? `event: ${m.event}${eol}` : ''}${m.data
        .split('\n')
        .map((l) => `data: ${l}`)
        .join(eol)}${eol}${eol}`;
  }
  return enc.encode(s);
}

async function parse(chunks: Uint8Array[], opts?: Parameters<typeof sseParse>[0]): Promise<SseMessage[]> {
  const source = new ReadableStream<Uint8Array>({
    start(c) {
      for (const ch of chunks) c.enqueue(ch);
      c.close();
    },
  });
  const out: SseMessage[] = [];
  for await (const m of source.pipeThrough(sseParse(opts))) out.push(m);
  return out;
}

/** Splits bytes at the given (sorted, unique) offsets. */
function cut(bytes: Uint8Array, at: number[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const i of at) {
    parts.push(bytes.subarray(from, i));
    from = i;
  }
  parts.push(bytes.subarray(from));
  return parts;
}

const chunk = (content: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: 'gen-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
    ...extra,
  });

// A realistic upstream stream: keep-alives, text with multi-byte characters, an image line,
// usage with empty choices, an event name, a multi-line data field and the [DONE] tail.
const IMAGE = `data:image/png;base64,${'iVBORw0KGgo'.repeat(40)}`;
const STREAM: Item[] = [
  { kind: 'comment', text: 'OPENROUTER PROCESSING' },
  { kind: 'data', data: chunk('Här är din fyr 🏝️ — ') },
  { kind: 'comment', text: '' },
  {
    kind: 'data',
    data: chunk('', {
      choices: [
        { index: 0, delta: { images: [{ type: 'image_url', image_url: { url: IMAGE } }] }, finish_reason: 'stop' },
      ],
    }),
  },
  { kind: 'data', data: 'line one\nline two' },
  { kind: 'data', data: '{"x":1}', event: 'message' },
  {
    kind: 'data',
    data: chunk('', { choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } }),
  },
  { kind: 'data', data: '[DONE]' },
];

describe('sseParse', () => {
  for (const eol of ['\n', '\r\n', '\r'] as const) {
    it(`gives the same events for every single cut of the stream (${JSON.stringify(eol)})`, async () => {
      const bytes = render(STREAM, eol);
      expect(await parse([bytes])).toEqual(STREAM);
      for (let i = 0; i <= bytes.length; i++) {
        const got = await parse(cut(bytes, [i]));
        if (JSON.stringify(got) !== JSON.stringify(STREAM)) expect(got, `cut at byte ${i}`).toEqual(STREAM);
      }
    });
  }

  it('gives the same events for one byte at a time', async () => {
    const bytes = render(STREAM, '\r\n');
    expect(await parse([...bytes].map((b) => Uint8Array.of(b)))).toEqual(STREAM);
  });

  it('gives the same events for any chunking of any stream (property)', async () => {
    const item: fc.Arbitrary<Item> = fc.oneof(
      fc.record({
        kind: fc.constant('comment' as const),
        text: fc.string({ unit: 'grapheme', maxLength: 20 }).map((t) => t.replace(/[\r\n]/g, '').trim()),
      }),
      fc.record({
        kind: fc.constant('data' as const),
        data: fc.oneof(
          fc.json(),
          fc.string({ unit: 'grapheme', maxLength: 40 }).map((t) => t.replace(/\r/g, '')),
        ),
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(item, { minLength: 1, maxLength: 12 }),
        fc.constantFrom('\n' as const, '\r\n' as const, '\r' as const),
        fc.array(fc.nat(), { maxLength: 20 }),
        async (items, eol, offsets) => {
          // Generated data never holds \r; a \n inside data becomes two data lines, joined again by \n.
          const bytes = render(items, eol);
          const at = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
          expect(await parse(cut(bytes, at))).toEqual(items);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('joins a multi-megabyte data line, however it is cut', async () => {
    const big = `{"choices":[{"index":0,"delta":{"images":[{"type":"image_url","image_url":{"url":"data:image/png;base64,${'A'.repeat(6 * 1024 * 1024)}"}}]},"finish_reason":"stop"}]}`;
    const items: Item[] = [
      { kind: 'comment', text: 'OPENROUTER PROCESSING' },
      { kind: 'data', data: big },
      { kind: 'data', data: '[DONE]' },
    ];
    const bytes = render(items, '\n');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 4 * 1024, max: 256 * 1024 }), async (size) => {
        const parts: Uint8Array[] = [];
        for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
        const got = await parse(parts);
        expect(got.length).toBe(3);
        const line = got[1];
        expect(line.kind === 'data' && line.data.length).toBe(big.length);
        // Its bytes are kept (for the hand-off), and they are exactly the data's.
        const { bytes: kept, ...message } = line as Extract<SseMessage, { kind: 'data' }>;
        expect(message.data === big && message.kind === 'data' && !('event' in message)).toBe(true);
        expect(kept?.byteLength).toBe(big.length);
        expect(new TextDecoder().decode(kept) === big).toBe(true);
      }),
      { numRuns: 8, examples: [[4096], [65536], [65537]] },
    );
  });

  it('keeps the bytes only of a long event of one ASCII data line', async () => {
    const long = 'B'.repeat(KEEP_BYTES_FROM);
    const got = await parse([
      render(
        [
          { kind: 'data', data: long },
          { kind: 'data', data: `${long}é` },
          { kind: 'data', data: `${long}\n${long}` },
          { kind: 'data', data: 'short' },
        ],
        '\r\n',
      ),
    ]);
    expect(got.map((m) => m.kind === 'data' && m.data.length)).toEqual([
      long.length,
      long.length + 1,
      2 * long.length + 1,
      5,
    ]);
    expect(got.map((m) => (m.kind === 'data' ? (m.bytes?.byteLength ?? null) : null))).toEqual([
      long.length,
      null,
      null,
      null,
    ]);
  });

  it("finds a read's first line end, and drops a pending line's bytes when told (the relay wrote them)", () => {
    const long = 'C'.repeat(KEEP_BYTES_FROM * 2);
    const decoder = createSseDecoder();
    expect(decoder.feed(enc.encode(`data: ${long.slice(0, 1000)}`))).toEqual([]);
    expect(decoder.pending()).toMatchObject({ line: 0, bytes: 1006, pieces: [`data: ${long.slice(0, 1000)}`] });
    const rest = enc.encode(`${long.slice(1000)}\r\n\r\ndata: x\n\n`);
    expect(decoder.lineEndIn(rest)).toBe(long.length - 1000);
    decoder.forgetBytes();
    const [first, second] = decoder.feed(rest);
    expect(first).toEqual({ kind: 'data', data: long }); // no `bytes`
    expect(second).toEqual({ kind: 'data', data: 'x' });
    expect(decoder.lineEndIn(enc.encode('é\rx'))).toBe(2); // not ASCII: searched in the bytes
  });

  it('skips a BOM at the start of the stream only', async () => {
    const bytes = enc.encode('\uFEFFdata: one\n\ndata: \uFEFFtwo\n\n');
    for (const at of [1, 2, 3, 4]) {
      expect(await parse(cut(bytes, [at]))).toEqual([
        { kind: 'data', data: 'one' },
        { kind: 'data', data: '\uFEFFtwo' },
      ]);
    }
  });

  it('drops an event cut off before its blank line (a truncated body)', async () => {
    const bytes = render(STREAM.slice(0, 2), '\n');
    const got = await parse([bytes.subarray(0, bytes.length - 1)]);
    expect(got).toEqual(STREAM.slice(0, 1));
  });

  it('ends with a 502 StageError when one event is larger than the limit', async () => {
    const bytes = render([{ kind: 'data', data: 'x'.repeat(5000) }], '\n');
    const err = await parse(
      cut(
        bytes,
        Array.from({ length: 10 }, (_, i) => (i + 1) * 500),
      ),
      { maxLine: 4096 },
    ).catch((e) => e);
    expect(err).toBeInstanceOf(StageError);
    expect((err as StageError).event).toMatchObject({
      type: 'error',
      error: { status: 502, error: { code: 'upstream_too_large' } },
    });
  });

  it('reports every byte chunk as life, even inside one long line', async () => {
    let calls = 0;
    const bytes = render([{ kind: 'data', data: 'y'.repeat(1000) }], '\n');
    await parse(cut(bytes, [100, 200, 300, 400]), { onBytes: () => calls++ });
    expect(calls).toBe(5);
  });
});
