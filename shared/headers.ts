// Header names are public interfaces: clients, the site and the widget read them.
export const H = {
  requestId: 'x-request-id',
  provider: 'x-darkroom-provider',
  cache: 'x-cache',
  cacheAge: 'x-cache-age',
  cacheSaved: 'x-cache-saved-usd',
  cacheTtl: 'x-cache-ttl',
  imageFormat: 'x-image-format',
  imageFallback: 'x-darkroom-image-fallback',
  generationId: 'x-darkroom-generation',
  /** OpenRouter's name for the same id (its SDK and docs read it). */
  openRouterGenerationId: 'x-generation-id',
  shareUrl: 'x-darkroom-share-url',
  shouldRetry: 'x-should-retry',
  deprecation: 'deprecation',
} as const;

export type CacheStatus = 'HIT' | 'MISS' | 'BYPASS';
