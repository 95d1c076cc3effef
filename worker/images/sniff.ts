// What an image really is, from its bytes: the claimed content type is never trusted.

export interface Sniffed {
  contentType: 'image/png' | 'image/jpeg' | 'image/webp' | 'image/gif';
  ext: 'png' | 'jpg' | 'webp' | 'gif';
  width?: number;
  height?: number;
}

export function sniffImage(b: Uint8Array): Sniffed | null {
  if (
    b.length >= 24 &&
    b[0] === 0x89 &&
    b[1] === 0x50 &&
    b[2] === 0x4e &&
    b[3] === 0x47 &&
    b[4] === 0x0d &&
    b[5] === 0x0a &&
    b[6] === 0x1a &&
    b[7] === 0x0a
  ) {
    return { contentType: 'image/png', ext: 'png', width: u32be(b, 16), height: u32be(b, 20) };
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    return { contentType: 'image/jpeg', ext: 'jpg', ...jpegSize(b) };
  }
  if (b.length >= 30 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') {
    return { contentType: 'image/webp', ext: 'webp', ...webpSize(b) };
  }
  if (b.length >= 10 && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a')) {
    return { contentType: 'image/gif', ext: 'gif', width: b[6] | (b[7] << 8), height: b[8] | (b[9] << 8) };
  }
  return null;
}

const u32be = (b: Uint8Array, i: number) => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
const ascii = (b: Uint8Array, i: number, n: number) => String.fromCharCode(...b.subarray(i, i + n));

function jpegSize(b: Uint8Array): { width?: number; height?: number } {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return {};
    const marker = b[i + 1];
    const len = (b[i + 2] << 8) | b[i + 3];
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: (b[i + 5] << 8) | b[i + 6], width: (b[i + 7] << 8) | b[i + 8] };
    }
    i += 2 + len;
  }
  return {};
}

function webpSize(b: Uint8Array): { width?: number; height?: number } {
  const kind = ascii(b, 12, 4);
  if (kind === 'VP8X') {
    return { width: 1 + (b[24] | (b[25] << 8) | (b[26] << 16)), height: 1 + (b[27] | (b[28] << 8) | (b[29] << 16)) };
  }
  if (kind === 'VP8L') {
    const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
    return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff) };
  }
  if (kind === 'VP8 ') return { width: (b[26] | (b[27] << 8)) & 0x3fff, height: (b[28] | (b[29] << 8)) & 0x3fff };
  return {};
}

/** `data:image/png;base64,....` -> its base64 payload, or null when it is not a base64 data URL. */
export function parseDataUrl(url: string): { mediaType: string; base64: string } | null {
  if (!url.startsWith('data:')) return null;
  const comma = url.indexOf(',');
  if (comma < 0 || comma > 200) return null;
  const header = url.slice(5, comma);
  if (!header.endsWith(';base64')) return null;
  return { mediaType: header.slice(0, -7).toLowerCase(), base64: url.slice(comma + 1) };
}

/** A PNG with an alpha channel (colour type 4 or 6) or transparency (a tRNS chunk): a usable mask. */
export function pngHasAlpha(b: Uint8Array): boolean {
  if (sniffImage(b)?.ext !== 'png' || b.length < 26) return false;
  const colourType = b[25];
  if (colourType === 4 || colourType === 6) return true;
  // Walk the chunks up to the image data: tRNS must come before the first IDAT.
  for (let i = 8; i + 8 <= b.length;) {
    const len = u32be(b, i);
    const type = ascii(b, i + 4, 4);
    if (type === 'tRNS') return true;
    if (type === 'IDAT' || type === 'IEND') return false;
    i += 12 + len;
  }
  return false;
}
