// Images in: POST /v1/images/edits (multipart and JSON), input images checked, stored and keyed by
// their bytes, refinement of an earlier generation (`parent`), and the upstream's Images API
// (POST /images) with its partial previews.
import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { custom } from '../../worker/providers/custom';
import { selectProviders } from '../../worker/providers';
import {
  answerOf,
  call,
  chat,
  DEV_KEY,
  eventually,
  imageEvents,
  script,
  sha256Hex,
  uniquePrompt,
  upstreamRequests,
} from './helpers';
import { createKey } from './access-helpers';
import { dataUrl, makePng } from './png';

const up = () => env.FAKE_UPSTREAM as string;

function edit(form: FormData | Record<string, unknown>) {
  const json = !(form instanceof FormData);
  return SELF.fetch('https://darkroom.test/v1/images/edits', {
    method: 'POST',
    headers: { authorization: `Bearer ${DEV_KEY}`, ...(json ? { 'content-type': 'application/json' } : {}) },
    body: json ? JSON.stringify(form) : form,
  }).then((r) => answerOf(r));
}

function formOf(fields: Record<string, string | number | boolean>, files: [string, Uint8Array, string?][]): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, String(v));
  for (const [name, bytes, filename] of files)
    f.append(name, new File([bytes], filename ?? 'image.png', { type: 'image/png' }));
  return f;
}

const fromDataUrl = (url: string) => Uint8Array.from(atob(url.slice(url.indexOf(',') + 1)), (c) => c.charCodeAt(0));
const keyOf = async (png: Uint8Array) => `${await sha256Hex(png)}.png`;

async function recordOf(id: string): Promise<any> {
  return eventually(async () => {
    const r = await call(`/v1/generations/${id}`);
    return r.res.status === 200 ? r.json : null;
  });
}

describe('POST /v1/images/edits', () => {
  it('stores the images of a caller over its limits nothing: refused before anything is written (edits and chat)', async () => {
    const { key } = await createKey({ type: 'secret', rpm: 1 });
    const as = (body: FormData | Record<string, unknown>, path = '/v1/images/edits') =>
      SELF.fetch(`https://darkroom.test${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          ...(body instanceof FormData ? {} : { 'content-type': 'application/json' }),
        },
        body: body instanceof FormData ? body : JSON.stringify(body),
      }).then((r) => answerOf(r));
    const first = await makePng(24, 24, { seed: 101 });
    expect((await as(formOf({ prompt: uniquePrompt('admitted edit') }, [['image', first]]))).res.status).toBe(200);
    expect(await env.IMAGES.head(await keyOf(first))).not.toBeNull();
    const refused = await makePng(24, 24, { seed: 102 });
    const edited = await as(formOf({ prompt: uniquePrompt('refused edit') }, [['image', refused]]));
    expect(edited.res.status).toBe(429);
    const chatted = await as(
      {
        model: 'openai/gpt-5.4-image-2',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'edit' },
              { type: 'image_url', image_url: { url: dataUrl(refused) } },
            ],
          },
        ],
      },
      '/v1/chat/completions',
    );
    expect(chatted.res.status).toBe(429);
    expect(await env.IMAGES.head(await keyOf(refused))).toBeNull();
  });

  it('one file: stored once in R2, sent upstream as an input reference, kept in the record, shown on the share page', async () => {
    const prompt = uniquePrompt('edit one file');
    const png = await makePng(40, 30, { seed: 11 });
    const a = await edit(formOf({ prompt, seed: 3 }, [['image', png]]));
    expect(a.res.status, a.text).toBe(200);
    expect(a.json.data).toHaveLength(1);
    expect(a.json.data[0].url).toMatch(/^https:\/\/darkroom\.test\/i\/[0-9a-f]{64}\.png$/);
    const [seen] = (await upstreamRequests(prompt)).requests;
    expect(seen.path).toBe('/v1/images');
    expect(seen.body.prompt).toBe(prompt);
    expect(seen.body.input_references).toHaveLength(1);
    expect(seen.body.input_references[0].type).toBe('image_url');
    expect(fromDataUrl(seen.body.input_references[0].image_url.url)).toEqual(png);

    const key = await keyOf(png);
    const stored = await env.IMAGES.get(key);
    expect(new Uint8Array(await stored!.arrayBuffer())).toEqual(png);
    const rec = await recordOf(a.json.data[0].darkroom.generation_id);
    expect(rec.inputs).toEqual([
      {
        role: 'image',
        url: `https://darkroom.test/i/${key}`,
        sha256: key.slice(0, 64),
        content_type: 'image/png',
        bytes: png.length,
        width: 40,
        height: 30,
      },
    ]);
    expect(rec.parent).toBeNull();
    const page = await call(`/s/${rec.id}`, { key: null });
    expect(page.text).toContain('Made from');
    expect(page.text).toContain(`/i/${key}`);
  });

  it('several files (image[]) and a mask: all go upstream, the mask last and named in the prompt', async () => {
    const prompt = uniquePrompt('edit many files');
    const [a1, a2] = [await makePng(32, 32, { seed: 1 }), await makePng(32, 32, { seed: 2 })];
    const mask = await makePng(32, 32, { alpha: true, seed: 3 });
    const a = await edit(
      formOf({ prompt, n: 2 }, [
        ['image[]', a1],
        ['image[]', a2],
        ['mask', mask, 'mask.png'],
      ]),
    );
    expect(a.res.status, a.text).toBe(200);
    expect(a.json.data).toHaveLength(2);
    const seen = await upstreamRequests(prompt);
    expect(seen.count).toBe(2);
    for (const r of seen.requests) {
      expect(r.body.input_references.map((x: any) => fromDataUrl(x.image_url.url))).toEqual([a1, a2, mask]);
      expect(r.body.prompt).toContain('mask');
    }
    const rec = await recordOf(a.json.data[0].darkroom.generation_id);
    expect(rec.inputs.map((i: any) => i.role)).toEqual(['image', 'image', 'mask']);
  });

  it('streams image_edit.partial_image previews (up to partial_images) before image_edit.completed', async () => {
    const prompt = uniquePrompt('edit stream');
    const png = await makePng(16, 16, { seed: 5 });
    const a = await edit(formOf({ prompt, stream: true, partial_images: 2 }, [['image', png]]));
    expect(a.res.status).toBe(200);
    const events = imageEvents(a.text);
    expect(events.map((e) => e.event ?? e.data)).toEqual([
      'image_edit.partial_image',
      'image_edit.partial_image',
      'image_edit.completed',
      '[DONE]',
    ]);
    expect(events.slice(0, 2).map((e) => e.data.partial_image_index)).toEqual([0, 1]);
    for (const e of events.slice(0, 2)) {
      expect(e.data.type).toBe('image_edit.partial_image');
      expect(e.data.url).toBeUndefined(); // previews are never stored
      expect([...fromDataUrl(`x,${e.data.b64_json}`).slice(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    }
    const done = events[2].data;
    expect(done.type).toBe('image_edit.completed');
    expect(done.url).toMatch(/\/i\/[0-9a-f]{64}\.png$/);
    // Only the final image is stored.
    for (const e of events.slice(0, 2))
      expect(await env.IMAGES.head(await keyOf(fromDataUrl(`x,${e.data.b64_json}`)))).toBeNull();
    const one = imageEvents(
      (
        await edit(
          formOf({ prompt: uniquePrompt('edit stream one'), stream: true, partial_images: 1 }, [['image', png]]),
        )
      ).text,
    );
    expect(one.filter((e) => e.event === 'image_edit.partial_image')).toHaveLength(1);
  });

  it('JSON edits (images: [{image_url}]) and a bad preview that is dropped, not relayed', async () => {
    const prompt = uniquePrompt('edit json');
    await script(prompt, [{ kind: 'bad-partial' }]);
    const png = await makePng(20, 20, { seed: 8 });
    const a = await edit({ prompt, images: [{ image_url: dataUrl(png) }], stream: true, partial_images: 3 });
    const events = imageEvents(a.text);
    expect(events.filter((e) => e.event === 'image_edit.partial_image')).toHaveLength(1);
    expect(events.at(-1)!.data).toBe('[DONE]');
  });

  it('the same picture as a file, a data URL and its Darkroom URL is one cache key', async () => {
    const prompt = uniquePrompt('edit cache key');
    const png = await makePng(24, 24, { seed: 21 });
    const first = await edit(formOf({ prompt, seed: 9 }, [['image', png]]));
    expect(first.res.headers.get('x-cache')).toBe('MISS');
    const asDataUrl = await edit({ prompt, seed: 9, images: [{ image_url: dataUrl(png) }] });
    expect(asDataUrl.res.headers.get('x-cache')).toBe('HIT');
    const asOurUrl = await edit({
      prompt,
      seed: 9,
      images: [{ image_url: `https://darkroom.test/i/${await keyOf(png)}` }],
    });
    expect(asOurUrl.res.headers.get('x-cache')).toBe('HIT');
    expect(asOurUrl.json.data[0].url).toBe(first.json.data[0].url);
    expect((await upstreamRequests(prompt)).count).toBe(1);

    // Chat too: an image part as a data URL, then as our URL.
    const chatPrompt = uniquePrompt('chat cache key');
    const ask = (url: string) =>
      chat({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url } },
              { type: 'text', text: chatPrompt },
            ],
          },
        ],
        seed: 4,
      });
    expect((await ask(dataUrl(png))).res.headers.get('x-cache')).toBe('MISS');
    expect((await ask(`https://darkroom.test/i/${await keyOf(png)}`)).res.headers.get('x-cache')).toBe('HIT');
    // A remote URL is passed through as is, and keyed by the URL.
    const remote = await ask('https://example.com/cat.png');
    expect(remote.res.headers.get('x-cache')).toBe('MISS');
    const sent = (await upstreamRequests(chatPrompt)).requests.at(-1)!.body.messages[0].content[0].image_url.url;
    expect(sent).toBe('https://example.com/cat.png');
  });

  it('refines a parent generation: its image goes upstream, the record names the parent, the share page links it', async () => {
    const parentPrompt = uniquePrompt('refine parent');
    const parent = await chat({ messages: [{ role: 'user', content: parentPrompt }], seed: 1 });
    const parentId = parent.res.headers.get('x-darkroom-generation')!;
    const parentBytes = fromDataUrl(parent.json.choices[0].message.images[0].image_url.url);
    await recordOf(parentId);

    const viaChat = uniquePrompt('refine chat');
    const child = await chat({ messages: [{ role: 'user', content: viaChat }], darkroom: { parent: parentId } });
    expect(child.res.status, child.text).toBe(200);
    const [seen] = (await upstreamRequests(viaChat)).requests;
    const parts = seen.body.messages.at(-1).content;
    expect(parts[0].type).toBe('image_url');
    expect(fromDataUrl(parts[0].image_url.url)).toEqual(parentBytes);
    expect(parts[1]).toEqual({ type: 'text', text: viaChat });
    expect(seen.body.darkroom).toBeUndefined();
    const childRec = await recordOf(child.res.headers.get('x-darkroom-generation')!);
    expect(childRec.parent).toBe(parentId);
    expect(childRec.inputs[0].sha256).toBe(await sha256Hex(parentBytes));
    const page = await call(`/s/${childRec.id}`, { key: null });
    expect(page.text).toContain(`href="/s/${parentId}"`);

    const viaEdits = uniquePrompt('refine edits');
    const e = await edit(formOf({ prompt: viaEdits, parent: parentId }, []));
    expect(e.res.status, e.text).toBe(200);
    const [sent] = (await upstreamRequests(viaEdits)).requests;
    expect(fromDataUrl(sent.body.input_references[0].image_url.url)).toEqual(parentBytes);

    const missing = await chat({ messages: [{ role: 'user', content: 'x' }], darkroom: { parent: 'NoSuchGen123' } });
    expect(missing.res.status).toBe(400);
    expect(missing.json.error.param).toBe('darkroom.parent');
  });
});

describe('bad input images: clear 4xx errors, nothing stored', () => {
  const notStored = async (bytes: Uint8Array) => expect(await env.IMAGES.head(await keyOf(bytes))).toBeNull();

  it('a text file named .png', async () => {
    const text = new TextEncoder().encode('this is not an image, just text with a .png name');
    const a = await edit(formOf({ prompt: 'x' }, [['image', text, 'photo.png']]));
    expect(a.res.status).toBe(400);
    expect(a.json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_image', param: 'image' });
    expect(a.json.error.message).toContain('not a PNG, JPEG, WebP or GIF');
    const viaChat = await chat({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: dataUrl(text) } },
            { type: 'text', text: 'x' },
          ],
        },
      ],
    });
    expect(viaChat.res.status).toBe(400);
    expect(viaChat.json.error.param).toBe('messages[0].content[0].image_url.url');
  });

  it('a 40 MB image', async () => {
    const big = new Uint8Array(40 * 1024 * 1024);
    big.set(await makePng(8, 8));
    const a = await edit(formOf({ prompt: 'x' }, [['image', big]]));
    expect(a.res.status).toBe(413);
    expect(a.json.error).toMatchObject({ type: 'invalid_request_error', code: 'input_too_large', param: 'image' });
  });

  it('more pixels than the limit (from the header alone)', async () => {
    const png = await makePng(4, 4);
    new DataView(png.buffer).setUint32(16, 20_000); // IHDR width: a decompression bomb's claim
    const a = await edit(formOf({ prompt: 'x' }, [['image', png]]));
    expect(a.res.status).toBe(400);
    expect(a.json.error.code).toBe('image_too_many_pixels');
    await notStored(png);
  });

  it('17 images', async () => {
    const pngs = await Promise.all(Array.from({ length: 17 }, (_, i) => makePng(8, 8, { seed: 100 + i })));
    const a = await edit(
      formOf(
        { prompt: 'x' },
        pngs.map((p) => ['image[]', p] as [string, Uint8Array]),
      ),
    );
    expect(a.res.status).toBe(400);
    expect(a.json.error).toMatchObject({ code: 'too_many_images', param: 'image[16]' });
    for (const p of pngs) await notStored(p);
  });

  it('a mask of another size, and a mask without alpha', async () => {
    const image = await makePng(32, 32, { seed: 41 });
    const small = await makePng(16, 16, { alpha: true, seed: 42 });
    const a = await edit(
      formOf({ prompt: 'x' }, [
        ['image', image],
        ['mask', small],
      ]),
    );
    expect(a.res.status).toBe(400);
    expect(a.json.error).toMatchObject({ code: 'invalid_mask', param: 'mask' });
    expect(a.json.error.message).toContain('16x16');
    const opaque = await makePng(32, 32, { seed: 43 });
    const b = await edit(
      formOf({ prompt: 'x' }, [
        ['image', image],
        ['mask', opaque],
      ]),
    );
    expect(b.res.status).toBe(400);
    expect(b.json.error.message).toContain('alpha');
    for (const p of [image, small, opaque]) await notStored(p);
  });

  it('no image at all, a URL in a file field, unknown fields', async () => {
    const none = await edit(formOf({ prompt: 'x' }, []));
    expect(none.res.status).toBe(400);
    expect(none.json.error.param).toBe('image');
    const f = formOf({ prompt: 'x', image: 'https://example.com/a.png' }, []);
    expect((await edit(f)).json.error.code).toBe('invalid_type');
    const unknown = await edit(formOf({ prompt: 'x', temperature: 1 }, [['image', await makePng(8, 8)]]));
    expect(unknown.json.error).toMatchObject({ code: 'unknown_parameter', param: 'temperature' });
  });
});

describe('the Images API upstream', () => {
  it('generations stream image_generation.partial_image previews from /images when partial_images asks', async () => {
    const res = await SELF.fetch('https://darkroom.test/v1/images/generations', {
      method: 'POST',
      headers: { authorization: `Bearer ${DEV_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: uniquePrompt('gen partials'), stream: true, partial_images: 2 }),
    });
    const events = imageEvents(await res.text());
    expect(events.map((e) => e.event ?? e.data)).toEqual([
      'image_generation.partial_image',
      'image_generation.partial_image',
      'image_generation.completed',
      '[DONE]',
    ]);
  });

  it('chat streams relay previews as delta.darkroom.partial_image chunks', async () => {
    // A Darkroom in front of this one relays the previews it gets: the chat stream of the fake
    // upstream has none, so this drives the renderer from an Images API upstream through the chat
    // dialect's coalesced path instead: a seeded images request joined by the same chat request.
    const prompt = uniquePrompt('chat partials');
    const gateId = `g-${prompt}`;
    await script(prompt, [{ kind: 'gate', id: gateId, afterEvents: 1 }]);
    const body = (extra: object) => JSON.stringify({ prompt, seed: 77, stream: true, ...extra });
    const imagesReq = SELF.fetch('https://darkroom.test/v1/images/generations', {
      method: 'POST',
      headers: { authorization: `Bearer ${DEV_KEY}`, 'content-type': 'application/json' },
      body: body({}),
    });
    await eventually(async () => (await upstreamRequests(prompt)).count > 0);
    const chatReq = chat({
      messages: [{ role: 'user', content: prompt }],
      modalities: ['image'],
      seed: 77,
      stream: true,
    });
    await new Promise((r) => setTimeout(r, 300)); // the chat request joins the generation in flight
    await fetch(`${up()}/__release?id=${encodeURIComponent(gateId)}`, { method: 'POST' });
    const [viaChat] = await Promise.all([chatReq, (await imagesReq).text()]);
    expect(viaChat.res.headers.get('x-darkroom-coalesced')).toBe('true');
    const chunks = viaChat.text
      .split('\n\n')
      .filter((b) => b.startsWith('data: {'))
      .map((b) => JSON.parse(b.slice(6)));
    const previews = chunks.filter((c) => c.choices?.[0]?.delta?.darkroom?.partial_image);
    expect(previews.length).toBeGreaterThan(0);
    expect(previews[0].object).toBe('chat.completion.chunk');
    expect(previews[0].choices[0].delta.darkroom.partial_image.image_url.url).toMatch(/^data:image\/png;base64,/);
    expect(chunks.some((c) => c.choices?.[0]?.delta?.images?.length)).toBe(true);
  });

  it('a custom upstream without /images (404) is asked once more on /chat/completions, then directly', async () => {
    const provider = custom(`${up()}/no-images/v1`);
    const body = {
      model: 'openai/gpt-5.4-image-2',
      messages: [{ role: 'user', content: uniquePrompt('no images route') }],
      modalities: ['image'],
    };
    const prompt = body.messages[0].content;
    const first = await provider.images!({ body });
    expect(first.status).toBe(200);
    expect(((await first.json()) as any).choices[0].message.images).toHaveLength(1);
    await provider.images!({ body });
    const paths = (await upstreamRequests(prompt)).requests.map((r) => r.path);
    expect(paths).toEqual(['/no-images/v1/images', '/no-images/v1/chat/completions', '/no-images/v1/chat/completions']);
  });

  it('UPSTREAM_IMAGES_API=off: no Images API; chat requests never use it', () => {
    expect(selectProviders({ ...env, UPSTREAM_IMAGES_API: 'off' } as never)[0].images).toBeUndefined();
    expect(selectProviders(env as never)[0].images).toBeTypeOf('function');
  });
});
