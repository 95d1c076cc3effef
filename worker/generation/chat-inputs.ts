// The input images of a chat request: every image part of its messages (user images, and
// images of earlier assistant turns sent back), plus the images of `darkroom.parent` when it
// refines an earlier generation. Checked, then stored (worker/images/inputs.ts); the upstream
// gets them as data URLs (or remote URLs), the cache key gets their SHA-256.
import type { ChatCompletionRequest, Message } from '../../shared/schemas';
import type { Env } from '../env';
import { badRequest } from '../lib/errors';
import { type ImageSource, type InputRecord, resolveImages } from '../images/inputs';
import { getStoredRecord } from '../storage/records';

export interface ResolvedInputs {
  /** The request as it goes upstream: parent images added, our URLs as data URLs, no `darkroom`. */
  req: ChatCompletionRequest;
  /** The messages as the cache key sees them: each inline or own image as its SHA-256. */
  keyedMessages: Message[];
  inputs: InputRecord[];
  parent: string | null;
  /** Writes the new input images to R2; call once every other check has passed. */
  store(): Promise<void>;
}

type Part = { type: string; image_url?: { url: string } };

export async function resolveChatInputs(req: ChatCompletionRequest, env: Env, origin: string): Promise<ResolvedInputs> {
  const { darkroom, ...rest } = req;
  let messages = rest.messages;
  const parent = darkroom?.parent ?? null;
  if (parent) messages = withParentImages(messages, await parentImageUrls(env, parent, origin));

  // Every image slot, in order, with the parameter it came from.
  const sources: ImageSource[] = [];
  messages.forEach((m, i) => {
    if (m.role === 'user' && Array.isArray(m.content)) {
      m.content.forEach(
        (p, j) =>
          p.type === 'image_url' &&
          sources.push({ url: p.image_url.url, param: `messages[${i}].content[${j}].image_url.url` }),
      );
    }
    if (m.role === 'assistant')
      m.images?.forEach((p, j) =>
        sources.push({ url: p.image_url.url, param: `messages[${i}].images[${j}].image_url.url` }),
      );
  });
  if (!sources.length)
    return { req: { ...rest, messages }, keyedMessages: messages, inputs: [], parent, store: async () => {} };

  const { images, store } = await resolveImages(sources, { bucket: env.IMAGES, origin });
  const rewrite = (pick: 'upstreamUrl' | 'keyUrl'): Message[] => {
    let n = 0;
    const swap = <P extends Part>(p: P): P =>
      p.type === 'image_url' ? { ...p, image_url: { ...p.image_url, url: images[n++][pick] } } : p;
    return messages.map((m) => {
      if (m.role === 'user' && Array.isArray(m.content)) return { ...m, content: m.content.map(swap) };
      if (m.role === 'assistant' && m.images) return { ...m, images: m.images.map(swap) };
      return m;
    }) as Message[];
  };
  return {
    req: { ...rest, messages: rewrite('upstreamUrl') },
    keyedMessages: rewrite('keyUrl'),
    inputs: images.map((i) => i.input),
    parent,
    store,
  };
}

/** The stored output images of a generation, as this host's URLs (400 when there are none). */
export async function parentImageUrls(
  env: Env,
  id: string,
  origin: string,
  param = 'darkroom.parent',
): Promise<string[]> {
  const record = await getStoredRecord(env, id);
  if (!record) throw badRequest(`There is no generation ${id} to refine.`, param, 'parent_not_found');
  const keys = record.images.flatMap((i) => (i.key ? [i.key] : []));
  if (!keys.length) throw badRequest(`Generation ${id} has no stored image to refine.`, param, 'parent_without_image');
  return keys.map((k) => `${origin}/i/${k}`);
}

/** The parent's images go first in the last user message, before what it says to change. */
function withParentImages(messages: Message[], urls: string[]): Message[] {
  const at = messages.map((m) => m.role).lastIndexOf('user');
  if (at < 0) throw badRequest('darkroom.parent needs a user message saying what to change.', 'messages');
  const m = messages[at] as Extract<Message, { role: 'user' }>;
  const text = typeof m.content === 'string' ? [{ type: 'text' as const, text: m.content }] : m.content;
  const parts = [...urls.map((url) => ({ type: 'image_url' as const, image_url: { url } })), ...text];
  return messages.map((x, i) => (i === at ? { ...m, content: parts } : x));
}
