// The prompt of a chat request: the text of its last user message (what a generation record
// shows and what the demo provider draws).
export function promptOf(body: Record<string, unknown>): string {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const last = [...messages].reverse().find((m) => m?.role === 'user');
  const c = last?.content;
  if (typeof c === 'string') return c;
  if (Array.isArray(c))
    return c
      .filter((p) => p?.type === 'text')
      .map((p) => p.text)
      .join('\n');
  return '';
}
