// Small real PNGs for input-image tests (RGB, or RGBA for masks), distinct per seed: RGB through
// the demo provider's encoder, RGBA (which that encoder does not write) from its chunks.
import { deflate, encodePng, pngChunk } from '../../worker/providers/demo/png';

export async function makePng(
  width: number,
  height: number,
  opts: { alpha?: boolean; seed?: number } = {},
): Promise<Uint8Array> {
  const channels = opts.alpha ? 4 : 3;
  const pixels = new Uint8Array(width * height * channels);
  const seed = opts.seed ?? 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * channels;
      pixels[p] = (x * 7 + seed * 31) & 0xff;
      pixels[p + 1] = (y * 5 + seed * 17) & 0xff;
      pixels[p + 2] = (seed * 13) & 0xff;
      if (opts.alpha) pixels[p + 3] = x < width / 2 ? 0 : 255;
    }
  }
  if (!opts.alpha) return encodePng(width, height, pixels);
  const row = width * 4;
  const raw = new Uint8Array((row + 1) * height); // each row: filter byte 0 (none), then its pixels
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * row, (y + 1) * row), y * (row + 1) + 1);
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  const signature = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunks = [pngChunk('IHDR', ihdr), pngChunk('IDAT', await deflate(raw)), pngChunk('IEND', new Uint8Array(0))];
  return new Uint8Array(await new Blob([signature, ...chunks]).arrayBuffer());
}

export const toB64 = (bytes: Uint8Array) => {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
};

export const dataUrl = (bytes: Uint8Array, type = 'image/png') => `data:${type};base64,${toB64(bytes)}`;
