// Reading and validating a JSON request body: size checked before and while reading (a 1 GB
// body is refused after at most maxBytes), then JSON, then the zod schema.
import type { z } from 'zod';
import { concatBytes } from './bytes';
import { ApiError, badRequest } from './errors';

/** Not streaming, so it keeps no state between calls: one decoder serves every request. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export async function readJsonBody(req: Request, maxBytes: number): Promise<unknown> {
  const type = req.headers.get('content-type') ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(type.trim())) {
    throw new ApiError(
      415,
      "Content-Type must be 'application/json'.",
      'invalid_request_error',
      'unsupported_media_type',
    );
  }
  if (!req.body) throw badRequest('The request body is empty; send a JSON object.', null, 'invalid_json');
  const bytes = await readBodyBytes(req, maxBytes);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw badRequest('The request body is not valid UTF-8.', null, 'invalid_json');
  }
  if (!text.trim()) throw badRequest('The request body is empty; send a JSON object.', null, 'invalid_json');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw badRequest(
      `The request body is not valid JSON: ${String((err as Error).message).slice(0, 200)}`,
      null,
      'invalid_json',
    );
  }
  // JSON.parse copes with any depth, but everything after it (validation, the cache key,
  // JSON.stringify for the upstream) recurses: a deep body must be refused here, not crash there.
  if (nestedDeeperThan(text, MAX_DEPTH)) {
    throw badRequest(`The request body is nested deeper than ${MAX_DEPTH} levels.`, null, 'invalid_json');
  }
  return value;
}

// ---- the body deadline ------------------------------------------------------------------------
// A request body must arrive within BODY_TIMEOUT_MS (default 30 s), or the request is a 408: a
// client sending one byte a second cannot hold a request open for as long as it likes. The
// middleware (middleware/body-deadline.ts) only notes when each request's body is due; the
// readers below enforce it while they read. (Wrapping every body in a timed stream and a new
// Request cost 13% of a cache hit's isolate CPU in bench/profile.mjs.)

const bodyDue = new WeakMap<Request, { at: number; ms: number }>();

/** The request's body must have arrived by `ms` from now. */
export function setBodyDeadline(req: Request, ms: number): void {
  bodyDue.set(req, { at: Date.now() + ms, ms });
}

export const bodyTimedOut = (ms: number) =>
  new ApiError(
    408,
    `The request body did not arrive within ${Math.round(ms / 100) / 10} s.`,
    'invalid_request_error',
    'request_timeout',
  );

/** A promise that rejects with the 408 when the body is due (never, without a deadline), and its cancel. */
function dueTimer(req: Request): { expired: Promise<never>; stop(): void } {
  const due = bodyDue.get(req);
  if (due === undefined) return { expired: new Promise<never>(() => {}), stop: () => {} };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(bodyTimedOut(due.ms)), Math.max(0, due.at - Date.now()));
  });
  expired.catch(() => {});
  return { expired, stop: () => timer !== undefined && clearTimeout(timer) };
}

/** The body as a stream that errors with the 408 if it has not ended when due. */
export function bodyWithDeadline(req: Request): ReadableStream<Uint8Array> | null {
  const body = req.body;
  if (!body || bodyDue.get(req) === undefined) return body;
  const timer = dueTimer(req);
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      try {
        const { done, value } = await Promise.race([reader.read(), timer.expired]);
        if (done) {
          timer.stop();
          c.close();
        } else c.enqueue(value);
      } catch (err) {
        timer.stop();
        reader.cancel().catch(() => {});
        c.error(err);
      }
    },
    cancel(reason) {
      timer.stop();
      return reader.cancel(reason);
    },
  });
}

/** The whole body, refused with a 413 past maxBytes (declared or while reading), 408 if late. */
export async function readBodyBytes(req: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!req.body) return new Uint8Array(0);
  const timer = dueTimer(req);
  if (Number.isInteger(declared) && declared >= 0) {
    // A declared length (the usual case) is read natively in one go: HTTP framing holds the body
    // to that length, and a JS read loop per chunk was a twentieth of a cache hit's CPU.
    try {
      return new Uint8Array(await Promise.race([req.arrayBuffer(), timer.expired]));
    } finally {
      timer.stop();
    }
  }
  const reader = req.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), timer.expired]);
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) throw tooLarge(maxBytes);
      parts.push(value);
    }
  } catch (err) {
    reader.cancel().catch(() => {});
    throw err;
  } finally {
    timer.stop();
  }
  return concatBytes(parts, size);
}

export const MAX_DEPTH = 64;

/** True when arrays/objects nest deeper than limit. Linear: strings are skipped with indexOf. */
export function nestedDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let j = i + 1;
      for (;;) {
        j = text.indexOf('"', j);
        if (j < 0) return false;
        let k = j - 1;
        while (text.charCodeAt(k) === 0x5c) k--;
        if ((j - 1 - k) % 2 === 0) break; // an even run of backslashes: the quote is real
        j++;
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

const tooLarge = (max: number) =>
  new ApiError(413, `The request body is larger than ${max} bytes.`, 'invalid_request_error', 'request_too_large');

/** Validate with a zod schema; the first issue becomes an OpenAI-style 400 naming the parameter. */
export function validate<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest('The request body must be a JSON object.', null, 'invalid_type');
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw issueToError(result.error.issues[0]);
}

function issueToError(issue: z.core.$ZodIssue): ApiError {
  const path = issue.path;
  if (issue.code === 'unrecognized_keys') {
    const key = formatPath([...issue.path, issue.keys[0]]);
    return badRequest(`Unrecognized request argument supplied: ${key}`, key, 'unknown_parameter');
  }
  const param = path.length ? formatPath(issue.path) : null;
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return badRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
  }
  return badRequest(`Invalid '${param ?? 'body'}': ${issue.message}.`, param, 'invalid_value');
}

function formatPath(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${String(p)}` : String(p))).join('');
}
