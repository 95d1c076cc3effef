// Share page (/s/:id): the Worker renders everything, including the meta tags crawlers read.
// This script only adds what needs JavaScript: copy-to-clipboard and the system share sheet.
import '../styles/base.css';
import './share.css';
import { copyText } from '../lib/util';

const toast = document.querySelector<HTMLElement>('.toast');
let hideTimer: ReturnType<typeof setTimeout> | undefined;
function say(text: string) {
  if (!toast) return;
  toast.textContent = text;
  toast.classList.add('show');
  clearTimeout(hideTimer);
  hideTimer = setTimeout(() => toast.classList.remove('show'), 2400);
}

for (const btn of document.querySelectorAll<HTMLButtonElement>('button[data-copy]')) {
  btn.hidden = false;
  btn.addEventListener('click', async () => {
    const text = btn.dataset.copy ?? '';
    say((await copyText(text)) ? `${btn.dataset.what ?? 'Link'} copied` : `Could not copy. The link is ${text}`);
  });
}
