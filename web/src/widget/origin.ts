// The API origin is the widget script's own origin. Captured while widget.js first runs, which is
// the only moment `document.currentScript` points at it (it is null inside later callbacks).
function scriptSrc(): string {
  const current = document.currentScript as HTMLScriptElement | null;
  if (current?.src) return current.src;
  const tagged = document.querySelector<HTMLScriptElement>('script[src*="/widget.js"]');
  return tagged?.src || location.href;
}

export const API_ORIGIN = new URL(scriptSrc()).origin;
