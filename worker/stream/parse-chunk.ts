// JSON.parse for an upstream chunk that carries multi-megabyte image data URLs, without the
// parser scanning and copying the URLs: each long `"data:..."` string is cut out of the text,
// the small rest is parsed, and the URL goes back in as a substring of the line (V8 shares the
// line's characters instead of copying them). In the 8 MiB SSE profile JSON.parse of the image
// line was a tenth of the isolate's CPU, and its result a second 11 MB copy of the image. The
// same holds for a non-streaming answer (choices[].message.images).
//
// The result equals JSON.parse(text) whenever text is valid JSON. Anything unusual — a
// backslash inside the URL, a quote that might be escaped, a URL that lands anywhere but an
// image item's image_url.url (under delta or message) — falls back to JSON.parse of the whole text. A URL with characters
// JSON would refuse (control characters) is not refused here; its base64 decode refuses it.

/** Strings shorter than this are left to JSON.parse (splitting does not pay below it). */
export const SPLIT_FROM = 64 * 1024;

export function parseChunkJson(text: string): unknown {
  if (text.length < SPLIT_FROM) return JSON.parse(text);
  const urls: string[] = [];
  const parts: string[] = [];
  let copied = 0; // text before this is in parts
  for (let start = text.indexOf('"data:'); start >= 0;) {
    const end = text.indexOf('"', start + 1);
    if (end < 0) break; // not valid JSON: JSON.parse below says so
    if (end - start >= SPLIT_FROM) {
      const url = text.slice(start + 1, end);
      if (text.charCodeAt(start - 1) === 0x5c || url.includes('\\')) return JSON.parse(text);
      parts.push(text.slice(copied, start), JSON.stringify(`${PLACEHOLDER}${urls.length}`));
      urls.push(url);
      copied = end + 1;
    }
    start = text.indexOf('"data:', end + 1);
  }
  if (!urls.length) return JSON.parse(text);
  parts.push(text.slice(copied));
  const value = JSON.parse(parts.join('')) as { choices?: unknown };
  return restore(value, urls) === urls.length ? value : JSON.parse(text);
}

// No valid upstream text contains it unescaped: JSON would write U+0001 as \u0001.
const PLACEHOLDER = '\u0001darkroom-url-';

/** Puts the URLs back into choices[].delta|message.images[].image_url.url; how many it put back. */
function restore(value: { choices?: unknown }, urls: string[]): number {
  const done = new Set<number>();
  if (!value || !Array.isArray(value.choices)) return 0;
  for (const choice of value.choices) {
    const c = choice as { delta?: { images?: unknown }; message?: { images?: unknown } } | null;
    const images = c?.delta?.images ?? c?.message?.images;
    if (!Array.isArray(images)) continue;
    for (const item of images) {
      const holder = (item as { image_url?: { url?: unknown } } | null)?.image_url;
      const url = holder?.url;
      if (typeof url !== 'string' || !url.startsWith(PLACEHOLDER)) continue;
      const i = Number(url.slice(PLACEHOLDER.length));
      if (!(i >= 0 && i < urls.length) || `${PLACEHOLDER}${i}` !== url || done.has(i)) return -1;
      holder!.url = urls[i];
      done.add(i);
    }
  }
  return done.size;
}
