// GET /docs: the OpenAPI document as a readable, server-rendered page with examples. No script
// at all (CSP script-src 'self'): example tabs are radio buttons and CSS.
import { MODEL_ID } from '../../shared/model';
import { type Example, examples } from './examples';

// The page walks the generated document, whose shape is whatever the schemas make it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const esc = (s: unknown) =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
  );

/** Escaped text with `code` spans. */
const md = (s: unknown) => esc(s).replace(/`([^`]+)`/g, '<code>$1</code>');

const slug = (method: string, path: string) =>
  `${method}-${path}`
    .replace(/[^a-z0-9]+/gi, '-')
    .replace(/-+$/, '')
    .toLowerCase();

function resolve(doc: Json, schema: Json | undefined): Json | undefined {
  if (schema?.$ref) return doc.components.schemas[schema.$ref.split('/').pop()];
  return schema;
}

function typeOf(doc: Json, s: Json | undefined): string {
  if (!s) return 'any';
  if (s.$ref) return s.$ref.split('/').pop();
  if (s.enum) return s.enum.map((v: unknown) => JSON.stringify(v)).join(' | ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return [...new Set(alts.map((a: Json) => typeOf(doc, a)))].join(' | ');
  const t = Array.isArray(s.type) ? s.type.join(' | ') : s.type;
  if (t === 'array') return `${typeOf(doc, s.items)}[]`;
  if (t === 'object' && s.properties) return 'object';
  return t ?? 'any';
}

function limits(s: Json): string {
  const out: string[] = [];
  const alts: Json[] = s.anyOf ?? s.oneOf ?? [s];
  for (const a of alts) {
    if (a.minimum !== undefined && a.maximum !== undefined) out.push(`${a.minimum} to ${a.maximum}`);
    else if (a.minimum !== undefined) out.push(`≥ ${a.minimum}`);
    else if (a.maximum !== undefined) out.push(`≤ ${a.maximum}`);
    if (a.maxLength !== undefined) out.push(`≤ ${a.maxLength} chars`);
    if (a.maxItems !== undefined) out.push(`≤ ${a.maxItems} items`);
  }
  return [...new Set(out)].join(', ');
}

function fieldsTable(doc: Json, schema: Json | undefined): string {
  const s = resolve(doc, schema);
  if (!s?.properties) return '';
  const required = new Set<string>(s.required ?? []);
  const rows = Object.entries(s.properties as Record<string, Json>).map(([name, p]) => {
    const lim = limits(p);
    return (
      `<tr><td><code>${esc(name)}</code>${required.has(name) ? ' <span class="req">required</span>' : ''}</td>` +
      `<td class="type">${esc(typeOf(doc, p))}${lim ? `<div class="lim">${esc(lim)}</div>` : ''}</td><td>${md(p.description ?? '')}</td></tr>`
    );
  });
  const strict =
    s.additionalProperties === false
      ? '<p class="note">Any other field is refused with a 400 <code>unknown_parameter</code>.</p>'
      : '';
  return `<table><thead><tr><th>Field</th><th>Type</th><th>Description</th></tr></thead><tbody>${rows.join('')}</tbody></table>${strict}`;
}

/** A code block. It may scroll sideways, so it is focusable (Tab, then arrow keys scroll it) and named. */
function codeBlock(code: string, lang: string, label: string, cls = ''): string {
  return `<pre${cls ? ` class="${cls}"` : ''} tabindex="0" role="region" aria-label="${esc(label)}"><code class="language-${lang}">${esc(code)}</code></pre>`;
}

let tabGroup = 0;
function exampleTabs(list: Example[] | undefined): string {
  if (!list?.length) return '';
  const g = `ex${++tabGroup}`;
  const inputs = list
    .map(
      (e, i) =>
        `<input type="radio" name="${g}" id="${g}-${i}"${i ? '' : ' checked'}><label for="${g}-${i}">${esc(e.label)}</label>`,
    )
    .join('');
  const panels = list.map((e) => codeBlock(e.code, e.lang, `${e.label} example`, 'panel')).join('');
  return `<div class="tabs">${inputs}${panels}</div>`;
}

function operation(doc: Json, method: string, path: string, op: Json, ex: Record<string, Example[]>): string {
  const body = op.requestBody?.content?.['application/json']?.schema;
  const params = (op.parameters ?? []) as Json[];
  const responses = Object.entries((op.responses ?? {}) as Record<string, Json>);
  const ok = responses.find(([code]) => code.startsWith('2'))?.[1];
  const okSchema = ok?.content?.['application/json']?.schema;
  return `<section class="op" id="${slug(method, path)}">
  <h3><span class="method ${method}">${method.toUpperCase()}</span> <code class="path">${esc(path)}</code></h3>
  <p class="summary">${md(op.summary)}${op.security?.length ? ` <span class="auth">${op.security[0].admin ? 'admin token' : 'API key'}</span>` : ''}</p>
  ${op.description ? `<p>${md(op.description)}</p>` : ''}
  ${exampleTabs(ex[op.operationId])}
  ${
    params.length
      ? `<h4>Parameters</h4><table><thead><tr><th>Name</th><th>In</th><th>Description</th></tr></thead><tbody>${params
          .map(
            (p) =>
              `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${md(p.description ?? '')}</td></tr>`,
          )
          .join('')}</tbody></table>`
      : ''
  }
  ${body ? `<h4>Request body <span class="muted">${esc(typeOf(doc, body))}</span></h4>${fieldsTable(doc, body)}` : ''}
  ${okSchema ? `<h4>Response <span class="muted">${esc(typeOf(doc, okSchema))}</span></h4>${fieldsTable(doc, okSchema)}` : ''}
  ${
    ok?.headers
      ? `<h4>Response headers</h4><table><tbody>${Object.entries(ok.headers as Record<string, Json>)
          .map(([h, v]) => `<tr><td><code>${esc(h)}</code></td><td>${md(v.description)}</td></tr>`)
          .join('')}</tbody></table>`
      : ''
  }
  <h4>Status codes</h4><ul class="codes">${responses.map(([code, r]) => `<li><code>${esc(code)}</code> ${md(r.description)}</li>`).join('')}</ul>
</section>`;
}

export function docsPage(doc: Json, base: string, key: string): string {
  tabGroup = 0;
  const ex = examples(base, key);
  const ops: { tag: string; method: string; path: string; op: Json }[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const [method, op] of Object.entries(item)) ops.push({ tag: op.tags?.[0] ?? 'Other', method, path, op });
  }
  const tags = (doc.tags as { name: string; description: string }[]).filter((t) => ops.some((o) => o.tag === t.name));
  const nav = tags
    .map(
      (t) =>
        `<li class="navtag">${esc(t.name)}</li>${ops
          .filter((o) => o.tag === t.name)
          .map(
            (o) =>
              `<li><a href="#${slug(o.method, o.path)}"><span class="m ${o.method}">${o.method.toUpperCase()}</span> ${esc(o.path)}</a></li>`,
          )
          .join('')}`,
    )
    .join('');
  const sections = tags
    .map(
      (t) =>
        `<h2 id="tag-${esc(t.name.toLowerCase())}">${esc(t.name)}</h2><p class="muted">${md(t.description)}</p>${ops
          .filter((o) => o.tag === t.name)
          .map((o) => operation(doc, o.method, o.path, o.op, ex))
          .join('')}`,
    )
    .join('');
  const keyNote = key.startsWith('$')
    ? `<p>Examples read your key from <code>${esc(key)}</code>: <code>export ${esc(key.slice(1))}=sk_...</code></p>`
    : `<p>This is a local development server: the examples use the development key <code>${esc(key)}</code>, which a deployed Darkroom refuses.</p>`;
  const sdk: Example[] = [
    {
      lang: 'ts',
      label: 'Vercel AI SDK',
      code: `import { createOpenRouter } from '@openrouter/ai-sdk-provider';
import { generateText } from 'ai';

const darkroom = createOpenRouter({ baseURL: '${base}/v1', apiKey: ${key.startsWith('$') ? `process.env.${key.slice(1)}` : `'${key}'`} });
const { text, files } = await generateText({
  model: darkroom('openai/gpt-5.4-image-2'),
  prompt: 'A lighthouse at dusk, watercolor',
});
console.log(text, files[0].mediaType, files[0].uint8Array.length);`,
    },
    {
      lang: 'ts',
      label: 'AI SDK generateImage',
      code: `import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateImage } from 'ai';

const darkroom = createOpenAICompatible({ name: 'darkroom', baseURL: '${base}/v1', apiKey: ${key.startsWith('$') ? `process.env.${key.slice(1)}` : `'${key}'`} });
const { image } = await generateImage({
  model: darkroom.imageModel('openai/gpt-5.4-image-2'),
  prompt: 'A red fox in fresh snow',
  size: '1536x1024',
});
console.log(image.mediaType, image.uint8Array.length);`,
    },
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Darkroom API reference</title>
<meta name="description" content="${esc(doc.info.description)}">
<style>${CSS}</style>
</head>
<body>
<nav class="side"><a class="brand" href="#top">Darkroom <span>API</span></a><ul><li class="navtag">Start</li><li><a href="#start">Base URL and keys</a></li><li><a href="#errors">Errors</a></li><li><a href="#sdks">SDKs</a></li>${nav}</ul></nav>
<main id="top">
<h1>Darkroom API reference</h1>
<p class="lead">${md(doc.info.description)}</p>
<section id="start">
<h2>Base URL and keys</h2>
<p>Base URL: <code>${esc(base)}/v1</code>. Every generation request sends <code>Authorization: Bearer &lt;key&gt;</code>. The model is <code>${esc(MODEL_ID)}</code>.</p>
${keyNote}
<p>The machine-readable version of this page is <a href="/openapi.json"><code>/openapi.json</code></a> (OpenAPI 3.1), generated from the same schemas that validate every request.</p>
</section>
<section id="errors">
<h2>Errors</h2>
<p>Every error has OpenAI's shape, so SDKs raise it with our status and message:</p>
${codeBlock('{"error": {"message": "Unrecognized request argument supplied: temperature", "type": "invalid_request_error", "param": "temperature", "code": "unknown_parameter"}}', 'json', 'Error body example')}
<p>A stream that fails after it began ends with an error event instead of <code>[DONE]</code>. Limits answer 429 with <code>Retry-After</code> and <code>x-ratelimit-*</code>; streamed answers carry <code>x-should-retry: false</code> so SDKs do not pay twice.</p>
</section>
<section id="sdks">
<h2>SDKs</h2>
<p>OpenAI's SDKs work unchanged with the base URL above. The Vercel AI SDK gets the images as files through OpenRouter's provider (which reads <code>message.images</code>); <code>@ai-sdk/openai-compatible</code> drops chat images but its image model speaks the Images API.</p>
${exampleTabs(sdk)}
</section>
${sections}
<footer class="muted">Darkroom · <a href="/openapi.json">openapi.json</a> · <a href="/">playground</a></footer>
</main>
</body>
</html>`;
}

const CSS = `
/* Colours meet WCAG 2.1 AA (4.5:1 for text) in both schemes; method colours double as badge backgrounds under --bg text. */
:root{color-scheme:dark;--bg:#0e0f12;--panel:#16181d;--line:#262a32;--text:#e6e6e6;--muted:#9aa0aa;--accent:#f2b84b;--code:#1d2026;--get:#4caf84;--post:#6ea8ff;--delete:#ff7b72}
@media (prefers-color-scheme: light){:root{color-scheme:light;--bg:#fbfbfa;--panel:#fff;--line:#e4e4e0;--text:#1d1d1f;--muted:#62666c;--accent:#8a4f08;--code:#f3f3f0;--get:#1e7d53;--post:#2563c9;--delete:#c0392b}}
*{box-sizing:border-box}
@media (prefers-reduced-motion: no-preference){html{scroll-behavior:smooth}}
body{margin:0;background:var(--bg);color:var(--text);font:15px/1.6 system-ui,-apple-system,"Segoe UI",sans-serif;display:flex}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
code{background:var(--code);padding:1px 5px;border-radius:4px;overflow-wrap:anywhere}
pre{background:var(--code);border:1px solid var(--line);border-radius:8px;padding:14px 16px;overflow-x:auto;margin:0}
pre code{background:none;padding:0;white-space:pre;overflow-wrap:normal}
a:focus-visible,pre:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
.side{position:sticky;top:0;height:100vh;overflow-y:auto;width:270px;flex:none;border-right:1px solid var(--line);padding:20px 14px;background:var(--panel)}
.side ul{list-style:none;margin:0;padding:0}.side li a{display:block;padding:3px 6px;border-radius:5px;color:var(--text);font-size:13px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.side li a:hover{background:var(--code);text-decoration:none}
.navtag{margin:14px 0 4px;color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.08em}
.brand{font-weight:700;font-size:18px;color:var(--text)!important}.brand span{color:var(--accent)}
.m{display:inline-block;width:46px;font:600 10px ui-monospace,monospace}.m.get{color:var(--get)}.m.post{color:var(--post)}.m.delete{color:var(--delete)}
main{flex:1;min-width:0;max-width:980px;padding:32px 48px 80px}
h1{margin:0 0 8px;font-size:30px}h2{margin:48px 0 4px;padding-top:8px;border-top:1px solid var(--line)}h4{margin:22px 0 8px}
.lead{color:var(--muted);font-size:16px}.muted{color:var(--muted);font-weight:400}
.op{margin:28px 0 40px;padding:20px 22px;border:1px solid var(--line);border-radius:12px;background:var(--panel)}
.op h3{margin:0 0 6px;font-size:18px}.path{font-size:16px;background:none;padding:0}
.method{display:inline-block;min-width:62px;text-align:center;border-radius:6px;padding:2px 8px;font:700 12px ui-monospace,monospace;color:var(--bg);vertical-align:2px}
.method.get{background:var(--get)}.method.post{background:var(--post)}.method.delete{background:var(--delete)}
.summary{margin:0 0 8px;font-weight:600}.auth{font-weight:400;font-size:12px;color:var(--muted);border:1px solid var(--line);border-radius:10px;padding:1px 8px;margin-left:6px}
table{width:100%;border-collapse:collapse;font-size:14px;margin:4px 0}th,td{text-align:left;vertical-align:top;padding:7px 10px;border-bottom:1px solid var(--line);overflow-wrap:anywhere}
th{color:var(--muted);font-weight:600;font-size:12px;text-transform:uppercase;letter-spacing:.05em}
td.type{font-family:ui-monospace,monospace;font-size:12px;color:var(--muted);max-width:260px;word-break:break-word}
.lim{font-family:system-ui,sans-serif;font-size:11px}.req{color:var(--delete);font-size:11px}.note{font-size:13px;color:var(--muted)}
.codes{padding-left:18px;font-size:14px}
.tabs{display:flex;flex-wrap:wrap;margin:14px 0}.tabs input{position:absolute;opacity:0;pointer-events:none}
.tabs label{padding:5px 12px;margin-right:4px;border:1px solid var(--line);border-bottom:none;border-radius:7px 7px 0 0;cursor:pointer;font-size:13px;color:var(--muted);order:0}
.tabs input:checked+label{color:var(--text);background:var(--code)}
.tabs input:focus-visible+label{outline:2px solid var(--accent)}
.tabs .panel{display:none;order:1;width:100%;border-top-left-radius:0}
${Array.from({ length: 6 }, (_, i) => `.tabs input:nth-of-type(${i + 1}):checked~.panel:nth-of-type(${i + 1})`).join(',')}{display:block}
footer{margin-top:60px;font-size:13px}
@media (max-width:860px){body{display:block}.side{position:static;width:auto;height:auto}main{padding:20px}th,td{padding:6px}}
`;
