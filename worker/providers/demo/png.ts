// A tiny PNG encoder (8-bit RGB) and a deterministic painter for the offline demo provider.
// CompressionStream('deflate') gives exactly the zlib stream PNG's IDAT wants.
import { concatBytes } from '../../lib/bytes';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export async function encodePng(width: number, height: number, rgb: Uint8Array): Promise<Uint8Array> {
  const stride = width * 3;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter: none
    raw.set(rgb.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', await deflate(raw)),
    pngChunk('IEND', new Uint8Array(0)),
  ];
  return concatBytes(parts);
}

/** FNV-1a: a stable 32-bit hash of a string. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** mulberry32: a small deterministic PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hsl(h: number, s: number, l: number): [number, number, number] {
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [Math.round(f(0) * 255), Math.round(f(8) * 255), Math.round(f(4) * 255)];
}

/**
 * Paints a small landscape (sky gradient, sun, layered ridges, grain) from the prompt and seed:
 * the same inputs always give the same pixels.
 */
export function paintScene(width: number, height: number, prompt: string, seed: number): Uint8Array {
  const rand = prng(hash32(`${seed}\u0000${prompt}`));
  const hue = rand() * 360;
  const skyTop = hsl(hue, 0.55, 0.28);
  const skyLow = hsl((hue + 40 + rand() * 60) % 360, 0.7, 0.72);
  const sun = {
    x: (0.2 + rand() * 0.6) * width,
    y: (0.2 + rand() * 0.3) * height,
    r: (0.07 + rand() * 0.08) * Math.min(width, height),
  };
  const sunColor = hsl((hue + 180) % 360, 0.8, 0.85);
  const layers = Array.from({ length: 4 }, (_, i) => ({
    base: height * (0.5 + i * 0.12),
    amp: height * (0.05 + rand() * 0.08),
    f1: 1 + rand() * 3,
    f2: 4 + rand() * 6,
    p1: rand() * Math.PI * 2,
    p2: rand() * Math.PI * 2,
    color: hsl((hue + 200 + i * 12) % 360, 0.35 + i * 0.05, 0.42 - i * 0.08),
  }));
  const rgb = new Uint8Array(width * height * 3);
  const ridge = layers.map((l) =>
    Float32Array.from({ length: width }, (_, x) => {
      const t = (x / width) * Math.PI * 2;
      return l.base - l.amp * (Math.sin(t * l.f1 + l.p1) + 0.35 * Math.sin(t * l.f2 + l.p2));
    }),
  );
  let grain = hash32(prompt) ^ seed;
  for (let y = 0; y < height; y++) {
    const t = y / height;
    for (let x = 0; x < width; x++) {
      let c: [number, number, number] = [
        skyTop[0] + (skyLow[0] - skyTop[0]) * t,
        skyTop[1] + (skyLow[1] - skyTop[1]) * t,
        skyTop[2] + (skyLow[2] - skyTop[2]) * t,
      ];
      const d = Math.hypot(x - sun.x, y - sun.y);
      if (d < sun.r) c = [...sunColor];
      else if (d < sun.r * 2.2) {
        const glow = (1 - (d - sun.r) / (sun.r * 1.2)) * 0.35;
        c = [
          c[0] + (sunColor[0] - c[0]) * glow,
          c[1] + (sunColor[1] - c[1]) * glow,
          c[2] + (sunColor[2] - c[2]) * glow,
        ];
      }
      for (let i = 0; i < layers.length; i++) if (y >= ridge[i][x]) c = [...layers[i].color];
      grain = (Math.imul(grain, 1103515245) + 12345) >>> 0;
      const n = ((grain >>> 16) & 7) - 3;
      const p = (y * width + x) * 3;
      rgb[p] = clamp(c[0] + n);
      rgb[p + 1] = clamp(c[1] + n);
      rgb[p + 2] = clamp(c[2] + n);
    }
  }
  return rgb;
}

const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v | 0);
