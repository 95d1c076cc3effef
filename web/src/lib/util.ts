// Small helpers shared by the playground, the share page and the widget.

/** A random seed in the range upstreams accept (31-bit, non-negative). */
export function randomSeed(): number {
  const a = new Uint32Array(1);
  crypto.getRandomValues(a);
  return a[0] >>> 1;
}

/** 75 -> "1:15" */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** 42 -> "42 s", 3700 -> "1 h" (for "cached 5 min ago"). */
export function ago(seconds: number): string {
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

/** Copy text; falls back to a hidden textarea where the async clipboard is unavailable. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.className = 'sr-only';
    document.body.append(ta);
    ta.select();
    let ok: boolean;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    ta.remove();
    return ok;
  }
}

/** Progress estimate for an operation of unknown length: rises quickly, then slows, never reaching 1. */
export function estimate(elapsedSeconds: number, typicalSeconds: number): number {
  return 1 - Math.exp(-elapsedSeconds / typicalSeconds);
}

/** The progress bar's fraction after `elapsedSeconds`: starts visibly, slows, stops short of full. */
export function progressAt(elapsedSeconds: number, typicalSeconds: number): number {
  return Math.min(0.97, 0.04 + 0.93 * estimate(elapsedSeconds, typicalSeconds));
}

/** A download file name from the prompt and seed: "a-red-fox-in-snow-42.png". */
export function downloadName(prompt: string, seed: number, url: string): string {
  const slug =
    prompt
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 48) || 'darkroom';
  const ext = url.match(/\.(png|jpe?g|webp|gif)(?:$|\?)/i)?.[1] ?? 'png';
  return `${slug}-${seed}.${ext}`;
}
