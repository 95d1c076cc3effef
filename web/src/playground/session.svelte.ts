// The playground's state and actions in one place: what the form holds, where a generation is,
// what the stage shows, the history and the announcements. Components read it and call its
// methods; none of them talks to the API directly.
import { ASPECT_RATIOS, dimensionsFor } from '../../../shared/model';
import { LIMITS } from '../../../shared/limits';
import { ApiError, generate } from '../lib/api';
import { clearHistory, loadHistory, remember, type HistoryItem } from '../lib/history';
import { TYPICAL_SECONDS, announce, asApiError, retryAtFor } from '../lib/status';
import { copyText, progressAt, randomSeed } from '../lib/util';

export type Phase = 'idle' | 'sending' | 'thinking' | 'rendering' | 'done' | 'error';

/** What the stage shows: a history item, plus how it got here. */
export interface Shown extends HistoryItem {
  cached: boolean;
  cacheAge: number | null;
  fromHistory: boolean;
  seconds: number | null;
}

/** An image attached to the next request (a file read as a data URL). */
export interface Attachment {
  id: number;
  name: string;
  url: string;
}

/** The result the next request edits (its image is sent by the server, by generation id). */
export interface EditTarget {
  id: string;
  url: string;
  prompt: string;
}

let attachmentIds = 0;

export class Session {
  // Images in: attached files, or the result being edited.
  attachments = $state<Attachment[]>([]);
  editing = $state<EditTarget | null>(null);
  /** The newest progressive preview of the image being made (a data URL), and how many came. */
  partial = $state<string | null>(null);
  partials = $state(0);

  // The form.
  prompt = $state('');
  aspect = $state<string>('1:1');
  seed = $state(randomSeed());
  seedText = $state('');
  seedLocked = $state(false);

  // The generation.
  phase = $state<Phase>('idle');
  startedAt = $state(0);
  now = $state(Date.now());
  liveText = $state('');
  shown = $state<Shown | null>(null);
  error = $state<ApiError | null>(null);
  retryAt = $state(0);
  demo = $state(false);
  history = $state<HistoryItem[]>([]);

  /** A short note that shows, then fades (copy results). Also announced. */
  toast = $state('');
  /** The polite live region's text: generating, ready, failed. */
  status = $state('');
  /** Bumped when a generation finishes, so the stage can move focus to the result. */
  finished = $state(0);

  busy = $derived(this.phase === 'sending' || this.phase === 'thinking' || this.phase === 'rendering');
  elapsed = $derived(this.busy ? (this.now - this.startedAt) / 1000 : 0);
  progress = $derived(this.busy ? progressAt(this.elapsed, TYPICAL_SECONDS) : 0);
  cooldown = $derived(Math.max(0, Math.ceil((this.retryAt - this.now) / 1000)));
  /** The frame's shape: the result's while one is shown, else the chosen one. */
  frameRatio = $derived(this.shown && !this.busy ? this.shown.aspectRatio : this.aspect);
  stageLabel = $derived(
    this.phase === 'sending'
      ? 'Sending your prompt'
      : this.phase === 'thinking'
        ? 'The model is reading your prompt'
        : this.phase === 'rendering'
          ? this.liveText
            ? 'Rendering the image'
            : 'The model is working on it'
          : '',
  );

  #abort: AbortController | null = null;

  /** History from this browser, then ?prompt=&aspect=&seed= (Remix links from share pages). */
  load(search: string) {
    this.history = loadHistory();
    // Read once here, never kept: nothing for Svelte to track.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const q = new URLSearchParams(search);
    const p = q.get('prompt');
    if (p) this.prompt = p.slice(0, LIMITS.maxPromptChars);
    const a = q.get('aspect');
    if (a && (ASPECT_RATIOS as readonly string[]).includes(a)) this.aspect = a;
    const s = q.get('seed');
    if (s && /^\d{1,10}$/.test(s)) {
      this.seed = Number(s);
      this.seedLocked = true;
    }
    this.seedText = String(this.seed);
  }

  /** The seed field's text: digits only; typing a seed locks it. */
  typeSeed(raw: string) {
    const v = raw.replace(/\D/g, '').slice(0, 10);
    this.seedText = v;
    if (v) {
      this.seed = Math.min(Number(v), 2 ** 31 - 1);
      this.seedLocked = true;
    }
    return v;
  }

  rollSeed() {
    this.seed = randomSeed();
    this.seedText = String(this.seed);
  }

  /** Whether Generate would start now (else the form just focuses the prompt). */
  get canRun() {
    return !!this.prompt.trim() && !this.busy && this.cooldown <= 0;
  }

  async run(opts: { newSeed?: boolean } = {}) {
    const text = this.prompt.trim();
    if (!text || this.busy || this.cooldown > 0) return;
    if (opts.newSeed || !this.seedLocked) this.rollSeed();
    const used = { prompt: text, seed: this.seed, aspectRatio: this.aspect };
    const images = this.attachments.map((a) => a.url);
    const parent = this.editing?.id ?? null;
    this.#abort?.abort();
    const abort = (this.#abort = new AbortController());
    this.error = null;
    this.liveText = '';
    this.partial = null;
    this.partials = 0;
    this.startedAt = this.now = Date.now();
    this.phase = 'sending';
    this.status = announce.generating;
    try {
      const result = await generate(
        { ...used, signal: abort.signal, images, ...(parent ? { parent } : {}) },
        {
          onResponse: (info) => {
            this.phase = 'thinking';
            if (info.provider === 'demo') this.demo = true;
          },
          onText: (d) => {
            this.liveText += d;
            this.phase = 'rendering';
          },
          onReasoning: () => {
            if (this.phase === 'thinking') this.phase = 'rendering';
          },
          onPartial: (url) => {
            this.partial = url;
            this.partials++;
            this.phase = 'rendering';
          },
        },
      );
      const img = result.images[0];
      const size = img.width && img.height ? { width: img.width, height: img.height } : dimensionsFor(used.aspectRatio);
      const item: HistoryItem = {
        id: result.generationId ?? img.sha256 ?? String(Date.now()),
        url: img.url,
        ...used,
        ...size,
        shareUrl: result.shareUrl,
        text: result.text,
        provider: result.provider,
        created: Date.now(),
        parent,
        inputs: images.length + (parent ? 1 : 0),
      };
      this.attachments = [];
      this.editing = null;
      this.partial = null;
      if (result.provider === 'demo') this.demo = true;
      this.history = remember(this.history, item);
      this.shown = {
        ...item,
        cached: result.cache === 'HIT',
        cacheAge: result.cacheAge,
        fromHistory: false,
        seconds: (Date.now() - this.startedAt) / 1000,
      };
      this.phase = 'done';
      this.status = announce.ready(text);
      this.finished++;
    } catch (e) {
      if ((e as Error)?.name === 'AbortError') return;
      const error = (this.error = asApiError(e));
      this.retryAt = retryAtFor(error) || this.retryAt;
      this.now = Date.now();
      this.phase = 'error';
      this.status = announce.failed(error);
    }
  }

  /** Attach image files (picker, drop or paste): images only, within the server's limits. */
  async attach(files: Iterable<File>) {
    for (const file of files) {
      if (this.attachments.length + (this.editing ? 1 : 0) >= LIMITS.maxInputImages) {
        this.toast = `At most ${LIMITS.maxInputImages} images per request.`;
        return;
      }
      if (!/^image\/(png|jpeg|webp|gif)$/.test(file.type)) {
        this.toast = `${file.name || 'That file'} is not a PNG, JPEG, WebP or GIF image.`;
        continue;
      }
      if (file.size > LIMITS.maxInputImageBytes) {
        this.toast = `${file.name || 'That image'} is larger than ${Math.round(LIMITS.maxInputImageBytes / 1048576)} MB.`;
        continue;
      }
      const url = await readDataUrl(file);
      this.attachments = [...this.attachments, { id: ++attachmentIds, name: file.name || 'pasted image', url }];
      this.toast = `${file.name || 'Image'} attached`;
    }
  }

  detach(id: number) {
    this.attachments = this.attachments.filter((a) => a.id !== id);
  }

  /** Continue from a result: the next prompt says what to change in it. */
  editFrom(shown: Shown) {
    this.editing = { id: shown.id, url: shown.url, prompt: shown.prompt };
    this.prompt = '';
    this.toast = 'Editing this image: say what to change';
  }

  stopEditing() {
    this.editing = null;
  }

  cancel() {
    this.#abort?.abort();
    this.#abort = null;
    this.phase = this.shown ? 'done' : 'idle';
    this.toast = announce.cancelled; // the toast is a live region too: announced once
    this.status = '';
  }

  /** Show a history item again, with the form set to reproduce it. */
  reopen(item: HistoryItem) {
    if (this.busy) return;
    this.prompt = item.prompt;
    this.aspect = item.aspectRatio;
    this.seed = item.seed;
    this.seedText = String(item.seed);
    this.seedLocked = true;
    this.error = null;
    this.liveText = '';
    this.shown = { ...item, cached: false, cacheAge: null, fromHistory: true, seconds: null };
    this.phase = 'done';
    this.finished++;
  }

  clearHistory() {
    this.history = clearHistory();
  }

  async copy(text: string | null, what: string) {
    if (!text) return;
    this.toast = (await copyText(text)) ? `${what} copied` : `Could not copy. The link is ${text}`;
  }
}

function readDataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}
