// The playground's history of generations, kept in this browser only (localStorage).

export interface HistoryItem {
  id: string;
  prompt: string;
  seed: number;
  aspectRatio: string;
  url: string;
  shareUrl: string | null;
  width?: number;
  height?: number;
  text: string;
  provider: string | null;
  created: number;
  /** The generation this one edited (history shows the chain). */
  parent?: string | null;
  /** How many images it was made from (attached, or the parent's). */
  inputs?: number;
}

const KEY = 'darkroom.history.v1';
const MAX = 60;

export function loadHistory(): HistoryItem[] {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    return Array.isArray(raw) ? raw.filter((x) => x && typeof x.url === 'string' && typeof x.prompt === 'string') : [];
  } catch {
    return [];
  }
}

function save(items: HistoryItem[]): HistoryItem[] {
  const kept = items.slice(0, MAX);
  try {
    localStorage.setItem(KEY, JSON.stringify(kept));
  } catch {
    /* storage full or disabled: history stays in memory for this visit */
  }
  return kept;
}

/** Put an item first (replacing an older copy of the same generation). */
export function remember(items: HistoryItem[], item: HistoryItem): HistoryItem[] {
  return save([item, ...items.filter((x) => x.id !== item.id && x.url !== item.url)]);
}

export function forget(items: HistoryItem[], id: string): HistoryItem[] {
  return save(items.filter((x) => x.id !== id));
}

export function clearHistory(): HistoryItem[] {
  return save([]);
}
