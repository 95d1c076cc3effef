// The spliced encoder must give exactly JSON.stringify's bytes, whatever it splices.
import { describe, expect, it } from 'vitest';
import { encodeJsonSpliced, imageUrlFields } from '../../worker/answer/splice-json';

const decode = (pieces: Uint8Array[]) => new TextDecoder().decode(new Uint8Array(pieces.flatMap((p) => [...p])));

describe('encodeJsonSpliced', () => {
  it('gives JSON.stringify output with long data URLs spliced in', () => {
    const big = `data:image/png;base64,${'QUJD'.repeat(40_000)}`;
    const items = [
      { type: 'image_url', image_url: { url: big }, darkroom: { url: 'https://h/i/a.png' } },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
      { type: 'image_url', image_url: { url: `${big}==` } },
    ];
    const value = { id: 'x', note: 'quote " and \u0001', choices: [{ delta: { images: items } }] };
    const pieces = encodeJsonSpliced(value, imageUrlFields(items), 'data: ', '\n\n');
    expect(pieces.length).toBeGreaterThan(1);
    expect(decode(pieces)).toBe(`data: ${JSON.stringify(value)}\n\n`);
    expect(items[0].image_url.url).toBe(big); // restored
  });

  it('stringifies plainly what is short or not known clean', () => {
    const odd = `data:image/png;base64,${'A'.repeat(70_000)}\n`;
    const items = [{ image_url: { url: odd } }, { image_url: { url: 'data:image/png;base64,AAAA' } }];
    const pieces = encodeJsonSpliced(
      { items },
      imageUrlFields(items, (i) => i === 1),
    );
    expect(pieces).toHaveLength(1);
    expect(decode(pieces)).toBe(JSON.stringify({ items }));
  });
});
