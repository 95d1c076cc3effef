// Every example a new user copies, run as written against the running app: the README's API
// section (between the api-examples markers; only http://localhost:8787 is swapped for the test
// server) and /docs (which already shows the server's own origin). curl blocks run with bash, the
// TypeScript blocks with node (type stripping), the Python ones when Python's `openai` is installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const base = inject('darkroomUrl');
const README_BASE = 'http://localhost:8787';

function readmeBlocks(lang: string): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('<!-- api-examples:start -->');
  const end = readme.indexOf('<!-- api-examples:end -->');
  expect(start, 'README has the api-examples markers').toBeGreaterThanOrEqual(0);
  const section = readme.slice(start, end);
  return [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)\\n```', 'g'))].map((m) => m[1]);
}

const unescape = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

let docsHtml = '';
const docsBlocks = (lang: string) =>
  [...docsHtml.matchAll(new RegExp(`<code class="language-${lang}">([\\s\\S]*?)</code>`, 'g'))].map((m) =>
    unescape(m[1]),
  );

let work = '';
beforeAll(async () => {
  docsHtml = await (await fetch(`${base}/docs`)).text();
  work = mkdtempSync(join(tmpdir(), 'darkroom-examples-'));
  symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function runShell(code: string): { stdout: string; stderr: string; status: number | null } {
  rmSync(join(work, 'fox.png'), { force: true });
  const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', code], {
    cwd: work,
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 << 20,
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

function checkCurlOutput(code: string, out: { stdout: string; stderr: string; status: number | null }) {
  expect(out.status, `${code}\n${out.stderr}`).toBe(0);
  expect(out.stdout.trim().length, code).toBeGreaterThan(0);
  expect(out.stdout, code).not.toContain('"error"');
  const text = out.stdout.trim();
  if (text.startsWith('{')) {
    const body = JSON.parse(text);
    expect(body.object ?? body.data ?? body.id, code).toBeTruthy();
  }
  if (text.startsWith('data: ')) expect(text.endsWith('data: [DONE]'), code).toBe(true);
  if (code.includes('fox.png')) {
    const png = readFileSync(join(work, 'fox.png'));
    expect([...png.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  }
}

describe('README examples', () => {
  it('has curl, TypeScript and Python examples, and the same curl examples as /docs', () => {
    const sh = readmeBlocks('sh');
    expect(sh.length).toBeGreaterThanOrEqual(5);
    expect(readmeBlocks('ts').length).toBeGreaterThanOrEqual(2);
    expect(readmeBlocks('python').length).toBeGreaterThanOrEqual(2);
    for (const block of sh) expect(block).toContain(README_BASE);
    expect(sh.map((b) => b.replaceAll(README_BASE, base)).sort()).toEqual(docsBlocks('sh').sort());
  });

  it('every curl example runs as written', () => {
    const blocks = readmeBlocks('sh');
    for (const code of blocks) checkCurlOutput(code, runShell(code.replaceAll(README_BASE, base)));
  });

  it('every TypeScript example runs with node', () => {
    const blocks = readmeBlocks('ts');
    blocks.forEach((code, i) => {
      const file = join(work, `example-${i}.mts`);
      writeFileSync(file, code.replaceAll(README_BASE, base));
      rmSync(join(work, 'fox.png'), { force: true });
      const r = spawnSync(process.execPath, ['--experimental-strip-types', '--no-warnings', file], {
        cwd: work,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status, `${code}\n${r.stderr}`).toBe(0);
      expect(r.stdout.trim().length, code).toBeGreaterThan(0);
      if (code.includes('fox.png')) expect(existsSync(join(work, 'fox.png'))).toBe(true);
    });
  });

  const hasPythonOpenai = (() => {
    try {
      execFileSync('python3', ['-c', 'import openai'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  // Python's openai package cannot be installed on this machine (no PyPI): every example is
  // parsed by Python and checked against the README's base URL here, and run for real wherever
  // the package is installed.
  it('every Python example parses, points at the README base URL, and runs where openai is installed', () => {
    const blocks = readmeBlocks('python');
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const code of blocks) {
      const parsed = spawnSync('python3', ['-c', 'import ast,sys; ast.parse(sys.stdin.read())'], {
        input: code,
        encoding: 'utf8',
      });
      expect(parsed.status, `${code}\n${parsed.stderr}`).toBe(0);
      expect(code).toContain(`${README_BASE}/v1`);
      if (!hasPythonOpenai) continue;
      const r = spawnSync('python3', ['-c', code.replaceAll(README_BASE, base)], {
        cwd: work,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status, `${code}\n${r.stderr}`).toBe(0);
    }
  });
});

describe('/docs examples', () => {
  it('every curl example on the page runs as written', () => {
    const blocks = docsBlocks('sh');
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    for (const code of blocks) {
      expect(code).toContain(base);
      checkCurlOutput(code, runShell(code));
    }
  });
});
