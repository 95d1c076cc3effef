// The model card: the one place that knows the model's id, limits and prices.
// Zod-free on purpose: the widget imports it and must stay small.

export const MODEL_ID = 'openai/gpt-5.4-image-2';
export const MODEL_ALIASES: Readonly<Record<string, string>> = {
  'gpt-5.4-image-2': MODEL_ID,
  [MODEL_ID]: MODEL_ID,
};
export const CONTEXT_LENGTH = 272_000;
/** USD per million tokens. */
export const PRICE_PER_MILLION = { input: 8, output: 15 } as const;

export const ASPECT_RATIOS = ['1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9'] as const;
export type AspectRatio = (typeof ASPECT_RATIOS)[number];

/** Pixel size of a 1K image at each aspect ratio (the long side is 1024 for 1:1, as upstream). */
export function dimensionsFor(ratio: string, base = 1024): { width: number; height: number } {
  const [w, h] = ratio.split(':').map(Number);
  if (!(w > 0 && h > 0)) return { width: base, height: base };
  const scale = base / Math.sqrt(w * h);
  const round16 = (n: number) => Math.max(16, Math.round(n / 16) * 16);
  return { width: round16(w * scale), height: round16(h * scale) };
}

export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** Cost in USD of a usage block at the model's list prices, rounded to 1e-8. */
export function costOf(usage: TokenUsage): number {
  const usd =
    (usage.prompt_tokens * PRICE_PER_MILLION.input + usage.completion_tokens * PRICE_PER_MILLION.output) / 1e6;
  return Math.round(usd * 1e8) / 1e8;
}

export function resolveModel(model: string | undefined): string | undefined {
  return model === undefined ? MODEL_ID : MODEL_ALIASES[model];
}
