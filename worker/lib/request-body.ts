// Reading and validating a JSON request body: size checked before and while reading (a 1 GB
// body is refused after at most maxBytes), then JSON, then the zod schema.
import type { z } from 'zod';
import { concatBytes } from './bytes';
import { ApiError, badRequest } from './errors';

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
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
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

/** The whole body, refused with a 413 past maxBytes (declared or while reading). */
export async function readBodyBytes(req: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    parts.push(value);
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
