// parseChunkJson must give exactly what JSON.parse gives, whatever the chunk looks like.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseChunkJson, SPLIT_FROM } from '../../worker/stream/parse-chunk';

const big = (n = SPLIT_FROM + 10) => `data:image/png;base64,${'QUJD'.repeat(Math.ceil(n / 4))}`;
const chunk = (images: unknown[], extra: Record<string, unknown> = {}) => ({
  id: 'c1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'm',
  ...extra,
  choices: [{ index: 0, delta: { images }, finish_reason: null }],
});

describe('parseChunkJson', () => {
  it('restores long data URLs in delta and message image items', () => {
    const a = big();
    const b = `${big(SPLIT_FROM * 2)}==`;
    const streamed = chunk([
      { type: 'image_url', image_url: { url: a } },
      { type: 'image_url', image_url: { url: b } },
    ]);
    expect(parseChunkJson(JSON.stringify(streamed))).toEqual(streamed);
    const whole = {
      id: 'x',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'hi', images: [{ type: 'image_url', image_url: { url: a } }] },
        },
      ],
    };
    expect(parseChunkJson(JSON.stringify(whole))).toEqual(whole);
  });

  it('matches JSON.parse when a long data: string is anywhere but an image URL', () => {
    const cases = [
      chunk([], { note: big() }), // elsewhere: falls back
      { choices: [{ delta: { content: big() } }] },
      { [big()]: 1, choices: [] }, // as a key
      chunk([{ image_url: { url: big() } }, { image_url: { url: big() } }], { copy: big() }),
    ];
    for (const value of cases) expect(parseChunkJson(JSON.stringify(value))).toEqual(value);
  });

  it('falls back on escapes: an escaped slash inside the URL, an escaped quote before it', () => {
    const withSlash = JSON.stringify(chunk([{ image_url: { url: big() } }])).replace('image/png', 'image\\/png');
    expect(parseChunkJson(withSlash)).toEqual(JSON.parse(withSlash));
    const quoted = JSON.stringify({ choices: [{ delta: { content: `say "${big()}"` } }] });
    expect(parseChunkJson(quoted)).toEqual(JSON.parse(quoted));
  });

  it('throws where JSON.parse throws', () => {
    const text = JSON.stringify(chunk([{ image_url: { url: big() } }]));
    for (const bad of [
      text.slice(0, -1),
      text.slice(0, text.length >> 1),
      `${text}}`,
      `{"choices": [${'"data:'.repeat(5)}`,
    ]) {
      expect(() => JSON.parse(bad)).toThrow();
      expect(() => parseChunkJson(bad)).toThrow();
    }
  });

  it('equals JSON.parse on random chunks with long and short data URLs', () => {
    const url = fc.oneof(fc.constant(big()), fc.constant('data:image/png;base64,AAAA'), fc.string());
    const item = fc.record({ type: fc.constant('image_url'), image_url: fc.record({ url }) });
    const value = fc.record({
      id: fc.string(),
      choices: fc.array(
        fc.record({
          index: fc.nat(),
          delta: fc.record({
            content: fc.oneof(fc.string(), fc.constant(big())),
            images: fc.array(item, { maxLength: 3 }),
          }),
        }),
        { maxLength: 2 },
      ),
      extra: fc.jsonValue(),
    });
    fc.assert(
      fc.property(value, (v) => {
        const text = JSON.stringify(v);
        expect(parseChunkJson(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 60 },
    );
  });
});
