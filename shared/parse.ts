// Parsing that the Worker and the site both need, written once.

/** A number from a setting or header value; `fallback` when it is absent, empty or not a number. */
export function numberOr(value: unknown, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== null && value !== '' && Number.isFinite(n) ? n : fallback;
}

/** Retry-After as seconds (maybe fractional): delta-seconds or an HTTP date; undefined if neither. */
export function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const s = Number(value);
  if (Number.isFinite(s) && s >= 0) return s;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, (at - Date.now()) / 1000) : undefined;
}
