// The provider interface: a validated, normalised request in, the upstream's Response out.
// Providers know nothing of caching, access control or routes.

export interface UpstreamRequest {
  /** OpenAI/OpenRouter chat-completions body, already validated and normalised. */
  body: Record<string, unknown>;
  signal?: AbortSignal;
}

export interface Provider {
  /** Shown to clients in x-darkroom-provider. */
  readonly name: string;
  /** POST {base}/chat/completions with the body. */
  chat(req: UpstreamRequest): Promise<Response>;
  /**
   * The same request on the upstream's Images API (OpenRouter's POST {base}/images), which
   * streams partial previews; the provider turns the chat-shaped body into that API's request.
   * Absent when the upstream has none (then `chat` serves Images API requests too). The answer
   * may be in either API's shape (a fallback to chat): the pipeline reads both.
   */
  images?(req: UpstreamRequest): Promise<Response>;
  /** Values that must never appear in a response or a log line. */
  readonly secrets: readonly string[];
}
