// POST /v1/images/edits: OpenAI's image edit API. multipart/form-data with `image` (one file) or
// `image[]` (up to 16), an optional `mask` (a PNG with alpha, the size of the first image), and
// the generation fields; or JSON with `images: [{image_url}]` and `mask: {image_url}`. `parent`
// (our extension) edits an earlier generation's image without re-sending it. The inputs become
// image parts of one user message (or `input_references` on an Images API upstream) and the
// request is answered exactly like a generation (images-api.ts), with `image_edit.*` events.
import { Hono } from 'hono';
import { LIMITS } from '../../shared/limits';
import { ImageEditRequest } from '../../shared/schemas';
import type { AppEnv } from '../env';
import { parentImageUrls } from '../generation/chat-inputs';
import { type ImageSource, resolveImages } from '../images/inputs';
import { pngHasAlpha } from '../images/sniff';
import { ApiError, badRequest } from '../lib/errors';
import { bodyWithDeadline, readJsonBody, validate } from '../lib/request-body';
import { answerImages } from './images-api';

export const imagesEditsRoutes = new Hono<AppEnv>();

/** Form fields that are numbers or booleans on the wire of a JSON request. */
const NUMBER_FIELDS = new Set(['n', 'output_compression', 'partial_images', 'seed']);
const BOOLEAN_FIELDS = new Set(['stream']);

imagesEditsRoutes.post('/', async (c) => {
  const type = c.req.header('content-type') ?? '';
  const { fields, files } = /^multipart\/form-data/i.test(type)
    ? await readForm(c.req.raw)
    : { fields: (await readJsonBody(c.req.raw, LIMITS.maxBodyBytes)) as Record<string, unknown>, files: null };
  // Validated with placeholders for the files: the fields are checked before any image is.
  const req = validate(ImageEditRequest, files ? { ...fields, ...placeholders(files) } : fields);
  const origin = new URL(c.req.url).origin;

  const sources: ImageSource[] = [];
  if (req.parent)
    for (const url of await parentImageUrls(c.env, req.parent, origin, 'parent'))
      sources.push({ url, param: 'parent' });
  if (files) {
    files.images.forEach((bytes, i) => sources.push({ bytes, param: files.arrayField ? `image[${i}]` : 'image' }));
    if (files.mask) sources.push({ bytes: files.mask, param: 'mask', role: 'mask' });
  } else {
    req.images?.forEach((img, i) => sources.push({ url: img.image_url, param: `images[${i}].image_url` }));
    if (req.mask) sources.push({ url: req.mask.image_url, param: 'mask.image_url', role: 'mask' });
  }
  const { images, store } = await resolveImages(sources, { bucket: c.env.IMAGES, origin });
  checkMask(images);
  return answerImages(c, req, {
    kind: 'image_edit',
    inputs: { images, parent: req.parent ?? null },
    storeInputs: store,
  });
});

/** The mask must be a PNG with transparency, exactly the size of the first image. */
function checkMask(images: Awaited<ReturnType<typeof resolveImages>>['images']) {
  const mask = images.find((i) => i.input.role === 'mask');
  if (!mask) return;
  const param = 'mask';
  if (!mask.bytes)
    throw badRequest('mask must be sent as a file or a data URL (its transparency is checked).', param, 'invalid_mask');
  if (!pngHasAlpha(mask.bytes))
    throw badRequest(
      'mask must be a PNG with an alpha channel (transparent where the image should change).',
      param,
      'invalid_mask',
    );
  const first = images.find((i) => i.input.role === 'image');
  const [mw, mh, iw, ih] = [mask.input.width, mask.input.height, first?.input.width, first?.input.height];
  if (iw && ih && (mw !== iw || mh !== ih)) {
    throw badRequest(
      `mask is ${mw}x${mh} pixels but the image is ${iw}x${ih}; they must be the same size.`,
      param,
      'invalid_mask',
    );
  }
}

interface FormFiles {
  images: Uint8Array[];
  /** The images came as `image[]` (named image[i] in errors) rather than `image`. */
  arrayField: boolean;
  mask?: Uint8Array;
}

const placeholders = (f: FormFiles) => ({
  ...(f.images.length ? { images: f.images.slice(0, LIMITS.maxInputImages).map(() => ({ image_url: 'file' })) } : {}),
  ...(f.mask ? { mask: { image_url: 'file' } } : {}),
});

/** The multipart body, size-checked while it is read; text fields coerced to their JSON types. */
async function readForm(raw: Request): Promise<{ fields: Record<string, unknown>; files: FormFiles }> {
  const max = LIMITS.maxFormBodyBytes;
  const declared = Number(raw.headers.get('content-length') ?? NaN);
  if (declared > max) throw tooLarge(max);
  let form: FormData;
  try {
    form = await new Request(raw.url, {
      method: 'POST',
      headers: raw.headers,
      body: capped(bodyWithDeadline(raw), max),
    }).formData();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    if (String(err).includes(TOO_LARGE)) throw tooLarge(max);
    throw badRequest('The request body is not valid multipart/form-data.', null, 'invalid_form');
  }
  const fields: Record<string, unknown> = {};
  const files: FormFiles = { images: [], arrayField: false };
  for (const [name, value] of form.entries()) {
    const isFile = typeof value !== 'string';
    if (name === 'image' || name === 'image[]' || name === 'mask') {
      if (!isFile)
        throw badRequest(
          `${name} must be a file (multipart upload); use JSON \`images\` for URLs.`,
          name,
          'invalid_type',
        );
      const bytes = new Uint8Array(await (value as File).arrayBuffer());
      if (name === 'mask') files.mask = bytes;
      else files.images.push(bytes);
      if (name === 'image[]') files.arrayField = true;
      continue;
    }
    if (isFile) throw badRequest(`Unrecognized file field: ${name}`, name, 'unknown_parameter');
    fields[name] = coerce(name, value as string);
  }
  // Errors name image[i] whenever there are several images (or they came as image[]).
  files.arrayField ||= files.images.length > 1;
  return { fields, files };
}

function coerce(name: string, value: string): unknown {
  if (NUMBER_FIELDS.has(name) && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  if (BOOLEAN_FIELDS.has(name) && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
  return value;
}

const TOO_LARGE = 'darkroom: form body too large';
const tooLarge = (max: number) =>
  new ApiError(413, `The request body is larger than ${max} bytes.`, 'invalid_request_error', 'request_too_large');

/** A body that fails once more than max bytes went through (a chunked upload has no length). */
function capped(body: ReadableStream<Uint8Array> | null, max: number): ReadableStream<Uint8Array> | null {
  if (!body) return null;
  let size = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, out) {
        size += chunk.byteLength;
        if (size > max) throw new Error(TOO_LARGE);
        out.enqueue(chunk);
      },
    }),
  );
}
