// Stage 2 alone: SSE messages -> GenEvents, and what counts as a well-finished upstream stream.
import { describe, expect, it } from 'vitest';
import { createChunkReader } from '../../worker/stream/upstream-chunks';

const data = (obj: unknown) => ({ kind: 'data' as const, data: typeof obj === 'string' ? obj : JSON.stringify(obj) });
const chunk = (finish: string | null = null) => ({
  id: 'x',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'm',
  choices: [{ index: 0, delta: { content: 'a' }, finish_reason: finish }],
});
const codeOf = (e: unknown) => (e as { error?: { error: { code: string } } })?.error?.error.code;

describe('upstream-chunks', () => {
  it('turns each data message into a chunk that keeps its raw text, and a comment into a keep-alive', () => {
    const r = createChunkReader();
    const msg = data(chunk());
    expect(r.next(msg)).toEqual({ type: 'chunk', chunk: chunk(), raw: msg.data });
    expect(r.next({ kind: 'comment', text: 'OPENROUTER PROCESSING' })).toEqual({ type: 'keepalive' });
  });

  it('ends well on [DONE] after data, or at the end after a finish_reason', () => {
    const done = createChunkReader();
    done.next(data(chunk()));
    expect(done.next(data('[DONE]'))).toEqual({ type: 'end' });
    expect(done.next(data(chunk()))).toBeNull(); // nothing after a terminal event
    const finished = createChunkReader();
    finished.next(data(chunk('stop')));
    expect(finished.end()).toEqual({ type: 'end' });
  });

  it('never takes a cut or empty stream for a finished one', () => {
    const cut = createChunkReader();
    cut.next(data(chunk()));
    expect(codeOf(cut.end())).toBe('upstream_truncated');
    expect(codeOf(createChunkReader().next(data('[DONE]')))).toBe('upstream_empty');
  });

  it('ends with an error event on invalid JSON, a non-object, a chunk without choices, or an upstream error', () => {
    expect(codeOf(createChunkReader().next(data('{"id": oops')))).toBe('upstream_invalid_json');
    expect(codeOf(createChunkReader().next(data('[1,2]')))).toBe('upstream_invalid_json');
    expect(codeOf(createChunkReader().next(data({ id: 'x' })))).toBe('upstream_invalid_chunk');
    expect(codeOf(createChunkReader().next(data(chunk('error'))))).toBe('upstream_error');
    const errored = createChunkReader().next(data({ error: { code: 502, message: 'Provider disconnected' } }));
    expect(errored).toMatchObject({ type: 'error', error: { status: 502 } });
  });
});
