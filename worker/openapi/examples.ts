// The examples on /docs, for a base URL and a key. The README's examples are the same text for
// http://localhost:8787 and sk-local-dev; tests/node/curl-examples.test.ts runs every curl
// example of both, as written.
export interface Example {
  lang: 'sh' | 'ts' | 'python';
  label: string;
  code: string;
}

export function examples(base: string, key: string): Record<string, Example[]> {
  const auth = `-H "Authorization: Bearer ${key}"`;
  const json = '-H "Content-Type: application/json"';
  const keyTs = key.startsWith('$') ? `process.env.${key.slice(1)}` : `'${key}'`;
  const keyPy = key.startsWith('$') ? `os.environ["${key.slice(1)}"]` : `"${key}"`;
  const pyImports = key.startsWith('$') ? 'import base64, os' : 'import base64';
  return {
    createChatCompletion: [
      {
        lang: 'sh',
        label: 'curl',
        code: `curl -s ${base}/v1/chat/completions \\
  ${auth} \\
  ${json} \\
  -H "x-image-format: url" \\
  -d '{"model": "openai/gpt-5.4-image-2", "messages": [{"role": "user", "content": "A lighthouse at dusk, watercolor"}], "image_config": {"aspect_ratio": "16:9"}, "seed": 42}'`,
      },
      {
        lang: 'sh',
        label: 'curl (stream)',
        code: `curl -sN ${base}/v1/chat/completions \\
  ${auth} \\
  ${json} \\
  -H "x-image-format: url" \\
  -d '{"model": "openai/gpt-5.4-image-2", "messages": [{"role": "user", "content": "A lighthouse at dusk, watercolor"}], "stream": true}'`,
      },
      {
        lang: 'ts',
        label: 'TypeScript (openai)',
        code: `import OpenAI from 'openai';

const client = new OpenAI({ baseURL: '${base}/v1', apiKey: ${keyTs} });

const res = await client.chat.completions.create({
  model: 'openai/gpt-5.4-image-2',
  messages: [{ role: 'user', content: 'A lighthouse at dusk, watercolor' }],
  seed: 42,
  // @ts-expect-error OpenRouter-style image options are not in OpenAI's types
  image_config: { aspect_ratio: '16:9' },
});
// Images come as OpenRouter sends them: a data URL, plus our stored copy in darkroom.url.
const [image] = (res.choices[0].message as any).images;
console.log(image.darkroom.url);`,
      },
      {
        lang: 'python',
        label: 'Python (openai)',
        code: `from openai import OpenAI

client = OpenAI(base_url="${base}/v1", api_key=${keyPy})

res = client.chat.completions.create(
    model="openai/gpt-5.4-image-2",
    messages=[{"role": "user", "content": "A lighthouse at dusk, watercolor"}],
    seed=42,
    extra_body={"image_config": {"aspect_ratio": "16:9"}},
)
image = res.choices[0].message.images[0]  # a dict: {"type", "image_url", "darkroom"}
print(image["darkroom"]["url"])`,
      },
    ],
    createImage: [
      {
        lang: 'sh',
        label: 'curl',
        code: `curl -s ${base}/v1/images/generations \\
  ${auth} \\
  ${json} \\
  -d '{"prompt": "A red fox in fresh snow", "size": "1536x1024", "seed": 7, "response_format": "url"}'`,
      },
      {
        lang: 'sh',
        label: 'curl (save the PNG)',
        code: `URL=$(curl -s ${base}/v1/images/generations \\
  ${auth} \\
  ${json} \\
  -d '{"prompt": "A red fox in fresh snow", "seed": 7, "response_format": "url"}' \\
  | grep -o '"url":"[^"]*"' | head -n 1 | cut -d '"' -f 4)
curl -s -o fox.png "$URL" && ls -l fox.png`,
      },
      {
        lang: 'ts',
        label: 'TypeScript (openai)',
        code: `import OpenAI from 'openai';
import { writeFileSync } from 'node:fs';

const client = new OpenAI({ baseURL: '${base}/v1', apiKey: ${keyTs} });

const img = await client.images.generate({
  model: 'openai/gpt-5.4-image-2',
  prompt: 'A red fox in fresh snow',
  size: '1536x1024',
});
writeFileSync('fox.png', Buffer.from(img.data![0].b64_json!, 'base64'));
console.log(img.data![0].url, img.usage);`,
      },
      {
        lang: 'python',
        label: 'Python (openai)',
        code: `${pyImports}
from openai import OpenAI

client = OpenAI(base_url="${base}/v1", api_key=${keyPy})

img = client.images.generate(
    model="openai/gpt-5.4-image-2",
    prompt="A red fox in fresh snow",
    size="1536x1024",
    extra_body={"seed": 7},
)
open("fox.png", "wb").write(base64.b64decode(img.data[0].b64_json))
print(img.data[0].url)`,
      },
    ],
    createImageEdit: [
      {
        lang: 'sh',
        label: 'curl (edit a picture: multipart, as OpenAI)',
        code: `curl -s -o fox.png "$(curl -s ${base}/v1/images/generations \\
  ${auth} \\
  ${json} \\
  -d '{"prompt": "A red fox in fresh snow", "seed": 7, "response_format": "url"}' \\
  | grep -o '"url":"[^"]*"' | head -n 1 | cut -d '"' -f 4)"
curl -s ${base}/v1/images/edits \\
  ${auth} \\
  -F image=@fox.png \\
  -F prompt="Make the snow purple" \\
  -F seed=7 \\
  -F response_format=url`,
      },
      {
        lang: 'ts',
        label: 'TypeScript (openai)',
        code: `import OpenAI, { toFile } from 'openai';

const client = new OpenAI({ baseURL: '${base}/v1', apiKey: ${keyTs} });

const fox = await client.images.generate({ model: 'openai/gpt-5.4-image-2', prompt: 'A red fox in fresh snow' });
const stream = await client.images.edit({
  model: 'openai/gpt-5.4-image-2',
  image: await toFile(Buffer.from(fox.data![0].b64_json!, 'base64'), 'input.png', { type: 'image/png' }),
  prompt: 'Make the snow purple',
  stream: true,
  partial_images: 2,
});
for await (const event of stream) {
  // image_edit.partial_image (previews), then image_edit.completed with our url
  console.log(event.type, event.type === 'image_edit.completed' ? (event as any).url : event.partial_image_index);
}`,
      },
      {
        lang: 'python',
        label: 'Python (openai)',
        code: `${pyImports}
from openai import OpenAI

client = OpenAI(base_url="${base}/v1", api_key=${keyPy})

fox = client.images.generate(model="openai/gpt-5.4-image-2", prompt="A red fox in fresh snow")
img = client.images.edit(
    model="openai/gpt-5.4-image-2",
    image=("input.png", base64.b64decode(fox.data[0].b64_json), "image/png"),
    prompt="Make the snow purple",
)
open("purple-fox.png", "wb").write(base64.b64decode(img.data[0].b64_json))
print(img.data[0].url)`,
      },
    ],
    getGeneration: [
      {
        lang: 'sh',
        label: 'curl',
        code: `ID=$(curl -s -o /dev/null -w '%header{x-darkroom-generation}' ${base}/v1/images/generations \\
  ${auth} \\
  ${json} \\
  -d '{"prompt": "A red fox in fresh snow", "seed": 7, "response_format": "url"}')
curl -s ${base}/v1/generations/$ID`,
      },
    ],
    listModels: [{ lang: 'sh', label: 'curl', code: `curl -s ${base}/v1/models` }],
  };
}
