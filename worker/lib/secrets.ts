// The one secret scrubber. It knows every configured secret (every upstream's key, ADMIN_TOKEN,
// the Turnstile secret) and runs over every byte that leaves the Worker: header values, every
// body (JSON, SSE events, pages, images) as it streams, every log line and every error field an
// upstream wrote. No imports upward: lib/ is the bottom layer.
import { escapeHtml } from './html';
import { upstreamFallbacks } from './settings';

export const REDACTED = '[redacted]';
/** Shorter values are not treated as secrets (they would redact ordinary words). */
const MIN_SECRET_LENGTH = 8;

const NAMED_SECRETS = ['UPSTREAM_API_KEY', 'OPENROUTER_API_KEY', 'ADMIN_TOKEN', 'TURNSTILE_SECRET_KEY'];

/** Every secret this configuration holds, fallbacks' own keys included. */
export function secretsOf(env: Record<string, unknown>): string[] {
  const names = [...NAMED_SECRETS, ...upstreamFallbacks(env).flatMap((f) => (f.keyVar ? [f.keyVar] : []))];
  const values = names
    .map((n) => env[n])
    .filter((v): v is string => typeof v === 'string' && v.length >= MIN_SECRET_LENGTH);
  return [...new Set(values)];
}

/**
 * Each secret with the forms it takes once escaped: inside a JSON string (an echo in an upstream
 * error, a log line), in HTML text (a page), in a URL. A secret with a quote, a backslash or an
 * angle bracket would otherwise leave in its escaped form, which the raw bytes do not match.
 */
export function withEscapedForms(secrets: readonly string[]): string[] {
  const out = new Set<string>();
  for (const s of secrets) {
    out.add(s);
    out.add(JSON.stringify(s).slice(1, -1));
    out.add(escapeHtml(s));
    out.add(encodeURIComponent(s));
  }
  return [...out];
}

const outgoing = new WeakMap<object, string[]>();

/**
 * What the last line of defence masks in every answer: this configuration's secrets with their
 * escaped forms, worked out once per env object (it is the same object request after request).
 */
export function outgoingSecrets(env: Record<string, unknown>): string[] {
  let secrets = outgoing.get(env);
  if (!secrets) outgoing.set(env, (secrets = withEscapedForms(secretsOf(env))));
  return secrets;
}

// Shapes of credentials in general, for text an upstream wrote about itself (error messages):
// never for answers, where base64 and SHA-256 hex would match the last pattern.
const KEYLIKE = [
  /\bsk-or-[A-Za-z0-9_-]{6,}/g,
  /\b(sk|pk|rk)[-_][A-Za-z0-9_-]{6,}/g,
  /\bBearer\s+[A-Za-z0-9._~+/=-]+/gi,
  /\b[A-Za-z0-9_-]{40,}\b/g,
];

/**
 * Secrets seen in this isolate's configuration. Log lines and upstream error fields are scrubbed
 * against them without every caller having to carry env; requestContext and the Durable Objects
 * register their env before they do anything.
 */
const known = new Set<string>();
const KNOWN_MAX = 64;

/** Envs whose secrets are all in `known` (forgotten whenever `known` lets one go). */
let registered = new WeakSet<object>();

export function registerSecrets(env: Record<string, unknown>): void {
  if (registered.has(env)) return; // the same env object, request after request
  registered.add(env);
  for (const s of outgoingSecrets(env)) {
    if (known.has(s)) continue;
    known.add(s);
    if (known.size > KNOWN_MAX) {
      known.delete(known.values().next().value!);
      registered = new WeakSet([env]);
    }
  }
}

function all(extra: readonly (string | undefined)[]): string[] {
  const out = [...known];
  const extras = withEscapedForms(extra.filter((s): s is string => Boolean(s) && s!.length >= MIN_SECRET_LENGTH));
  for (const s of extras) if (!known.has(s)) out.push(s);
  // Longest first: a secret that contains another is redacted whole.
  return out.sort((a, b) => b.length - a.length);
}

/** Text with every known secret (and these extra ones) replaced by [redacted]. */
export function scrubText(text: string, extra: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const s of all(extra)) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

/** Text an upstream wrote (an error field): known secrets, anything key-shaped, at most 1000 characters. */
export function scrubUpstreamText(text: string, extra: readonly (string | undefined)[] = []): string {
  let out = scrubText(text, extra);
  for (const re of KEYLIKE) out = out.replace(re, REDACTED);
  return out.length > 1000 ? `${out.slice(0, 1000)}…` : out;
}

/** Redacts header values in place; true when one carried a secret. */
export function scrubHeaders(headers: Headers, secrets: readonly string[]): boolean {
  let leaked = false;
  for (const [k, v] of [...headers]) {
    if (!secrets.some((s) => v.includes(s))) continue;
    leaked = true;
    headers.set(k, scrubText(v, secrets));
  }
  return leaked;
}

const encoder = new TextEncoder();

/** Bytes of base64 and hex, which make up most of a large answer (image data, hashes). */
const COMMON = new Set(encoder.encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/='));

/**
 * Where to anchor the scan for a secret: its first byte that base64 never contains ('-', '_',
 * '.', ...), so the native indexOf runs through megabytes of image data without a stop;
 * otherwise its first byte. (A masked occurrence never matches again: the mask is '[redacted]***'.)
 */
function anchorOf(secret: Uint8Array): number {
  const i = secret.findIndex((b) => !COMMON.has(b));
  return i >= 0 ? i : 0;
}

/** The mask written over a secret in a body: as long as the secret, so Content-Length stays true. */
function mask(length: number): Uint8Array {
  const text = length >= REDACTED.length ? REDACTED + '*'.repeat(length - REDACTED.length) : '*'.repeat(length);
  return encoder.encode(text);
}

/**
 * A byte stream with every secret masked, also across chunk boundaries: the tail of a chunk that
 * could begin a secret is held back until the next chunk decides (SSE events end in "\n\n", which
 * begins no secret, so events are not delayed). `onLeak` runs once if anything was masked.
 */
export function scrubBytes(secrets: readonly string[], onLeak?: () => void): TransformStream<Uint8Array, Uint8Array> {
  const needles = [...new Set(secrets)]
    .filter((s) => s.length >= MIN_SECRET_LENGTH)
    .map((s) => {
      const bytes = encoder.encode(s);
      return { bytes, anchor: anchorOf(bytes) };
    });
  // One native scan per distinct anchor byte (usually one: keys share their '-' or '_').
  const groups = new Map<number, typeof needles>();
  for (const n of needles) groups.set(n.bytes[n.anchor], [...(groups.get(n.bytes[n.anchor]) ?? []), n]);
  let carry = new Uint8Array(0);
  let leaked = false;
  const process = (buf: Uint8Array, final: boolean): Uint8Array => {
    let out: Uint8Array | null = null;
    for (const [byte, group] of groups) {
      for (let i = buf.indexOf(byte); i >= 0; i = buf.indexOf(byte, i + 1)) {
        for (const { bytes: n, anchor } of group) {
          const start = i - anchor;
          if (start < 0 || start + n.length > buf.length) continue;
          let j = 0;
          while (j < n.length && buf[start + j] === n[j]) j++;
          if (j < n.length) continue;
          // Copy once before writing: the chunk may be someone else's (a cached image's bytes).
          out ??= buf.slice();
          out.set(mask(n.length), start);
          buf = out;
          if (!leaked) {
            leaked = true;
            onLeak?.();
          }
        }
      }
    }
    if (final) return buf;
    // Hold back the shortest tail that is a proper prefix of some secret.
    let keep = buf.length;
    for (const { bytes: n } of needles) {
      for (let start = Math.max(0, buf.length - n.length + 1); start < keep; start++) {
        let j = 0;
        while (start + j < buf.length && buf[start + j] === n[j]) j++;
        if (start + j === buf.length) {
          keep = start;
          break;
        }
      }
    }
    carry = buf.slice(keep);
    return keep === buf.length ? buf : buf.subarray(0, keep);
  };
  return new TransformStream({
    transform(chunk, c) {
      let buf = chunk;
      if (carry.length) {
        buf = new Uint8Array(carry.length + chunk.length);
        buf.set(carry);
        buf.set(chunk, carry.length);
        carry = new Uint8Array(0);
      }
      const out = process(buf, false);
      if (out.length) c.enqueue(out);
    },
    flush(c) {
      if (carry.length) c.enqueue(process(carry, true));
    },
  });
}
