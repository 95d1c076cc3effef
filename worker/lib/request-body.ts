// Reading and validating a JSON request body: size checked before and while reading (a 1 GB
// body is refused after at most maxBytes), then JSON, then the zod schema.
import type { z } from 'zod';
import { ApiError, badRequest } from './errors';

export async function readJsonBody(req: Request, maxBytes: number): Promise<unknown> {
  const type = req.headers.get('content-type') ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(type.trim())) {
    throw new ApiError(415, "Content-Type must be 'application/json'.", 'invalid_request_error', 'unsupported_media_type');
  }
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!req.body) throw badRequest('The request body is empty; send a JSON object.', null, 'invalid_json');

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
  const bytes = parts.length === 1 ? parts[0] : concat(parts, size);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw badRequest('The request body is not valid UTF-8.', null, 'invalid_json');
  }
  if (!text.trim()) throw badRequest('The request body is empty; send a JSON object.', null, 'invalid_json');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`The request body is not valid JSON: ${(err as Error).message}`, null, 'invalid_json');
  }
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
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
