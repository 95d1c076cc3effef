// The host pages' own script (served from the host origin): records what Darkroom tells the page.
window.__darkroom = { events: [], messages: [] };
const log = (line) => {
  const el = document.getElementById('log');
  el.textContent = (el.textContent === 'none yet' ? '' : el.textContent + '\n') + line;
};
document.addEventListener('darkroom:image', (e) => {
  window.__darkroom.events.push({
    detail: e.detail,
    bubbles: e.bubbles,
    composed: e.composed,
    target: e.target.tagName,
  });
  log(`darkroom:image ${JSON.stringify(e.detail)}`);
});
window.addEventListener('message', (e) => {
  if (e.data?.source !== 'darkroom') return;
  window.__darkroom.messages.push({ origin: e.origin, data: e.data });
  if (e.data.type === 'darkroom:resize') document.getElementById('darkroom').height = String(e.data.height);
  else log(`${e.data.type} from ${e.origin} ${JSON.stringify(e.data.detail)}`);
});
