// The image relay passes an image chunk's line on while it arrives: what it writes must be the
// upstream's own line when that line is one image's chunk, however the bytes are cut; a valid
// chunk of the first image alone when the line carries more (a finish, usage); valid JSON when the
// line breaks off; and nothing at all for a line it must not touch.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ImageRelayPiece } from '../../worker/stream/events';
import { closersOf, createImageRelay, RELAY_FROM } from '../../worker/stream/image-relay';
import { createSseDecoder } from '../../worker/stream/sse-parse';

const enc = new TextEncoder();
const dec = new TextDecoder();
// A PNG's signature and IHDR, then filler: base64 whose start sniffs as a PNG.
const png = new Uint8Array(300 * 1024);
png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1]);
const URL_ = `data:image/png;base64,${Buffer.from(png).toString('base64')}`;

const chunk = (choice: object, extra: object = {}) =>
  JSON.stringify({ id: 'up-1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [choice], ...extra });
const imageChoice = (delta: object = {}, rest: object = { finish_reason: null }) => ({
  index: 0,
  delta: { ...delta, images: [{ type: 'image_url', image_url: { url: URL_ } }] },
  ...rest,
});

/** Feeds `text` (a whole SSE body) cut at `cuts`, as pipeline.ts drives the SSE stage and the relay. */
function relayOf(text: string, cuts: number[] = [], stopAt?: number) {
  const bytes = enc.encode(text);
  const decoder = createSseDecoder();
  const relay = createImageRelay({ store: {} as never });
  const pieces: ImageRelayPiece[] = [];
  const at = [...new Set([0, ...cuts.map((c) => c % bytes.length), bytes.length])].sort((a, b) => a - b);
  for (let i = 0; i + 1 < at.length; i++) {
    if (stopAt !== undefined && at[i] >= stopAt) break;
    const read = bytes.slice(at[i], at[i + 1]);
    if (relay.open) {
      const end = decoder.lineEndIn(read);
      if (end >= 0) pieces.push(relay.finish(read.subarray(0, end)));
    }
    decoder.feed(read);
    const piece = relay.grew(decoder.pending());
    if (piece) pieces.push(piece);
  }
  const cut = relay.abort();
  if (cut) pieces.push(cut);
  return { pieces, written: dec.decode(Buffer.concat(pieces.map((p) => p.bytes))), end: pieces.at(-1)?.end };
}

describe('image relay', () => {
  it("writes the upstream's own line for one image's chunk, the id first, in pieces", () => {
    const line = chunk(imageChoice({ role: 'assistant', content: '' }));
    const { pieces, written, end } = relayOf(`data: ${line}\n\ndata: [DONE]\n\n`, [20_000, 70_000, 200_000, 380_000]);
    expect(written).toBe(line);
    expect(end).toBe('whole');
    expect(pieces[0].upstreamId).toBe('up-1');
    expect(pieces.slice(1).every((p) => p.upstreamId === undefined)).toBe(true);
    expect(pieces.length).toBeGreaterThan(1); // it went out before the line ended
  });

  it('writes the same line for any chunking (property)', () => {
    const line = chunk(imageChoice());
    const body = `data: ${line}\r\n\r\n`;
    fc.assert(
      // One read at least ends inside the line, past where the relay looks at it.
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
        const { written, end } = relayOf(body, [RELAY_FROM + 1000, ...cuts]);
        expect(written).toBe(line);
        expect(end).toBe('whole');
      }),
      { numRuns: 40 },
    );
  });

  it('closes the frame after the first image when the chunk also finishes, as valid JSON', () => {
    const line = chunk(imageChoice({ role: 'assistant', content: '' }, { finish_reason: 'stop' }), {
      provider: 'OpenAI',
    });
    const { written, end } = relayOf(`data: ${line}\n\n`, [100_000]);
    expect(end).toBe('first-image');
    const frame = JSON.parse(written);
    expect(frame.choices).toEqual([
      {
        index: 0,
        delta: { role: 'assistant', content: '', images: [{ type: 'image_url', image_url: { url: URL_ } }] },
        finish_reason: null, // typed clients require the key
      },
    ]);
  });

  it('closes the frame the same way for usage, a second choice or a second image after the URL', () => {
    const two = { ...imageChoice(), delta: { images: [{ image_url: { url: URL_ } }, { image_url: { url: 'x' } }] } };
    for (const line of [
      chunk(imageChoice(), { usage: { prompt_tokens: 1 } }),
      JSON.stringify({ id: 'up-1', choices: [imageChoice(), { index: 1, delta: {}, finish_reason: 'stop' }] }),
      JSON.stringify({ id: 'up-1', choices: [two] }),
    ]) {
      const { written, end } = relayOf(`data: ${line}\n\n`, [90_000]);
      expect(end).toBe('first-image');
      expect(JSON.parse(written).choices[0].delta.images[0].image_url.url).toBe(URL_);
    }
  });

  it('closes a line that breaks off as valid JSON (the error event follows it)', () => {
    const line = chunk(imageChoice());
    const { written, end } = relayOf(`data: ${line}\n\n`, [100_000, 200_000], 200_000);
    expect(end).toBe('first-image');
    const url: string = JSON.parse(written).choices[0].delta.images[0].image_url.url;
    expect(URL_.startsWith(url)).toBe(true);
    expect(url.length).toBeLessThan(URL_.length);
  });

  it('leaves alone a line whose start it would have to change or repeat, or that is not an image', () => {
    const lines = [
      chunk(imageChoice({ content: 'Here is your image' })), // text before the image
      JSON.stringify({ usage: { prompt_tokens: 1 }, id: 'up-1', choices: [imageChoice()] }), // usage first
      JSON.stringify({ object: 'chat.completion.chunk', id: 'up-1', choices: [imageChoice()] }), // id not first
      chunk({ index: 0, finish_reason: 'stop', delta: imageChoice().delta }), // a finish before the delta
      chunk(imageChoice()).replace('data:image/png', 'data:text/plain'), // not an image
      chunk(imageChoice()).replace(URL_.slice(22, 30), '!!!!!!!!'), // not base64
      chunk(imageChoice({ role: 'assistant', content: 'é' })), // not ASCII
      JSON.stringify({ id: 'up-1', choices: [{ index: 0, delta: { content: 'x'.repeat(RELAY_FROM * 2) } }] }),
    ];
    for (const [i, line] of lines.entries())
      expect({ i, pieces: relayOf(`data: ${line}\n\n`, [70_000]).pieces.length }).toEqual({ i, pieces: 0 });
  });

  it("leaves a short image's line to the hand-off", () => {
    const small = chunk({ index: 0, delta: { images: [{ image_url: { url: URL_.slice(0, 40_000) } }] } });
    expect(relayOf(`data: ${small}\n\n`, [10_000]).pieces).toEqual([]);
  });
});

describe('closersOf', () => {
  it('closes what a JSON prefix left open, strings and escapes included', () => {
    expect(closersOf('{"a":[{"b":{"c":')).toBe('}}]}');
    expect(closersOf('{"a":"}]\\"{","b":[1,2],"c":{')).toBe('}}');
    expect(closersOf('{"a":"open')).toBe('');
    expect(closersOf('{"a":]')).toBe('');
  });
});
