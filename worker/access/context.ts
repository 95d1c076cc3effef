// What the access layer tells the routes about the caller.
import type { ChatCompletionRequest } from '../../shared/schemas';

import type { PrincipalKind } from '../../shared/admin';

export type { PrincipalKind };

export interface Principal {
  kind: PrincipalKind;
  /** Key id (hash prefix) or client IP for the playground. */
  id: string;
  name?: string;
}

export interface AccessContext {
  principal: Principal;
  /**
   * Publishable keys and the keyless playground may not steer the cache: their Cache-Control and
   * x-cache-ttl are ignored (a visitor must not be able to re-roll what the next one sees).
   */
  mayControlCache: boolean;
  /** Whose cache entries this caller reads and writes: `key:<id>`, `shared`, `playground` or `dev`. */
  cacheScope: string;
  /** Throws an ApiError when this caller may not send this request. */
  checkRequest?(req: ChatCompletionRequest): void;
  /**
   * Takes this caller's place under its limits (rate, concurrency, spend), or throws a 429.
   * Routes call it only when a generation must run: cache hits never reach the limiter. It takes
   * `generations` (default 1) from the rate window: n images are n generations.
   */
  admit?(generations?: number): Promise<void>;
  /** Called once when the answer is over: frees the concurrency slot, books the spend. */
  settle?(costUsd: number): void;
}
