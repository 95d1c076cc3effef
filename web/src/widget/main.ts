// widget.js: defines <darkroom-widget>. One line on any page:
//   <script src="https://<host>/widget.js" async></script>
//   <darkroom-widget key="pk_..." theme="auto" aspect-ratio="1:1"></darkroom-widget>
// The element fires `darkroom:image` (bubbles, composed) with
// detail {url, shareUrl, generationId, prompt, seed} when an image is ready.
import './origin';
import Widget from './Widget.svelte';

const TAG = 'darkroom-widget';
if (!customElements.get(TAG))
  customElements.define(TAG, (Widget as unknown as { element: CustomElementConstructor }).element);

// Inside the /embed iframe: relay the event (and our height) to the parent page.
if (document.documentElement.hasAttribute('data-darkroom-embed') && window.parent !== window) {
  const post = (msg: object) => window.parent.postMessage({ source: 'darkroom', ...msg }, '*');
  document.addEventListener('darkroom:image', (e) =>
    post({ type: 'darkroom:image', detail: (e as CustomEvent).detail }),
  );
  let last = 0;
  new ResizeObserver(() => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== last) post({ type: 'darkroom:resize', height: (last = height) });
  }).observe(document.documentElement);
}
