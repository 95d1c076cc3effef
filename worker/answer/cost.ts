// The cost rule, written once: a cache hit or an answer that joined another request's generation
// costs nothing (someone else's request paid for it, or nobody did); anything else costs what
// the upstream's usage says.
import type { GenMeta, Usage } from '../stream/events';

export const isFree = (meta: GenMeta | undefined): boolean => Boolean(meta && (meta.cache === 'HIT' || meta.joined));

/** USD this answer costs its caller. */
export const costOf = (meta: GenMeta | undefined, usage: Usage | undefined): number =>
  isFree(meta) ? 0 : (usage?.cost ?? 0);

/** Usage as the caller sees it: a free answer says `cost: 0`. */
export const usageFor = <U extends Usage | undefined>(meta: GenMeta | undefined, usage: U): U =>
  (usage && isFree(meta) ? { ...usage, cost: 0 } : usage) as U;

/** USD amounts added without float dust (8 decimals). */
export const sumUsd = (xs: number[]): number => Math.round(xs.reduce((a, b) => a + b, 0) * 1e8) / 1e8;
