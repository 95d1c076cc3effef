// The JSON path: every generation folded to its end (stream/collect.ts), then the renderer's body,
// or the first error as the dialect's HTTP error.
import type { Collected } from '../stream/collect';
import type { StreamError } from '../stream/events';
import { JSON_HEADERS } from './headers';
import { errorResponse } from './errors';
import { collectOpened, type Opened } from './open';
import type { AnswerContext, Renderer } from './types';

export async function jsonAnswer(
  sources: Opened[],
  renderer: Renderer,
  ctx: AnswerContext,
  headers: Record<string, string>,
  onOver: (status: number, answers: Collected[]) => void,
): Promise<Response> {
  const answers = await Promise.all(sources.map(collectOpened));
  const failed: StreamError | undefined = answers.find((a) => a.error)?.error;
  const rendered = failed ?? renderer.json(answers, ctx);
  if ('status' in rendered) {
    onOver(rendered.status, answers);
    return errorResponse(rendered, headers, renderer.errorBody);
  }
  onOver(200, answers);
  return new Response(rendered.body, { headers: { ...headers, ...rendered.headers, ...JSON_HEADERS } });
}
