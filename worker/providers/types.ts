// The provider interface: an OpenAI chat-completions body in, the upstream's Response out.
// Providers know nothing of caching, access control or routes.

export interface UpstreamRequest {
  /** OpenAI/OpenRouter chat-completions body, already validated and normalised. */
  body: Record<string, unknown>;
  signal?: AbortSignal;
}

export interface Provider {
  /** Shown to clients in x-darkroom-provider. */
  readonly name: string;
  chat(req: UpstreamRequest): Promise<Response>;
  /** Values that must never appear in a response or a log line. */
  readonly secrets: readonly string[];
}
