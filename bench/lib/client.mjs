// Small HTTP client for bench/run.mjs: one-off requests (checks, cache priming) and the
// time-to-first-byte load run, which wrk cannot measure (its `response` hook fires only once
// the whole response is in).
//
//   node bench/lib/client.mjs ttfb '{"url":..., "headers":{...}, "body":"...", "concurrency":32, "duration_s":5}'
// prints one JSON line: {"requests","errors","non2xx","ttfb_p50_ms","ttfb_p99_ms","total_p50_ms","total_p99_ms"}.
//
//   node bench/lib/client.mjs handoff '{"url":..., "headers":{...}, "body":"...", "n":20, "stats_url":"http://upstream/stats"}'
// prints {"samples","handoff_p50_ms",...}: per request, in turn, the time from the upstream's last image byte
// (its /stats last_image_at) to this client receiving the last base64 character of the first data:image URL.
//   node bench/lib/client.mjs burst '{"url":..., "headers":{...}, "body":"...", "n":16}'
// prints {"requests","total_p50_ms","total_max_ms",...}: n requests started at once, one each.
//
// TTFB here = request start (before the socket write) -> the first chunk of the response BODY
// arrives (for SSE: the first event, or whatever the gateway flushes first). Each of the
// `concurrency` loops sends its next request as soon as the previous answer has ended, over
// keep-alive connections: the same closed loop as wrk.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

/** One request; resolves with status, headers, the whole body, ttfb_ms and total_ms. */
export function request(url, { method = 'POST', headers = {}, body, agent, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(body);
    const h = { ...headers };
    if (payload) h['content-length'] = String(payload.length);
    const t0 = performance.now();
    let ttfb = null;
    const req = http.request(url, { method, headers: h, agent: agent ?? false }, (res) => {
      const parts = [];
      res.on('data', (d) => {
        if (ttfb === null) ttfb = performance.now() - t0;
        parts.push(d);
      });
      res.on('end', () => {
        const total = performance.now() - t0;
        resolve({
          status: res.statusCode,
          headers: res.headers,
          body: Buffer.concat(parts),
          ttfb_ms: ttfb ?? total,
          total_ms: total,
        });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${url}`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export function percentile(sorted, q) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Closed-loop load at `concurrency` for `duration_s`; TTFB and total latency percentiles. */
export async function ttfbLoad({ url, headers = {}, body, concurrency = 1, duration_s = 5 }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const ttfbs = [];
  const totals = [];
  let errors = 0;
  let non2xx = 0;
  const end = performance.now() + duration_s * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      try {
        const r = await request(url, { headers, body, agent, timeoutMs: 30_000 });
        if (r.status < 200 || r.status > 299) non2xx++;
        ttfbs.push(r.ttfb_ms);
        totals.push(r.total_ms);
      } catch {
        errors++;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  agent.destroy();
  ttfbs.sort((a, b) => a - b);
  totals.sort((a, b) => a - b);
  const r3 = (x) => (x === null ? null : Math.round(x * 1000) / 1000);
  return {
    requests: ttfbs.length,
    errors,
    non2xx,
    ttfb_p50_ms: r3(percentile(ttfbs, 0.5)),
    ttfb_p99_ms: r3(percentile(ttfbs, 0.99)),
    total_p50_ms: r3(percentile(totals, 0.5)),
    total_p99_ms: r3(percentile(totals, 0.99)),
  };
}

/** Now, in ms since the epoch, comparable across processes on one machine (as the fake upstream's). */
const epochMs = () => performance.timeOrigin + performance.now();

/**
 * Watches a response body for the end of its first image data URL: feed it each chunk; it
 * returns true for the chunk that carries the URL's closing quote (the last image byte).
 */
export function imageEndDetector() {
  let state = 'before'; // before -> inside (past ";base64,") -> after
  let tail = '';
  return (buf) => {
    if (state === 'after') return false;
    let text = buf.toString('latin1');
    if (state === 'before') {
      const hay = tail + text;
      const at = hay.indexOf('data:image/');
      const b64 = at < 0 ? -1 : hay.indexOf(';base64,', at);
      if (b64 < 0) {
        tail = at < 0 ? hay.slice(-16) : hay.slice(at);
        return false;
      }
      state = 'inside';
      text = hay.slice(b64 + 8);
    }
    if (!text.includes('"')) return false;
    state = 'after';
    return true;
  };
}

/** `n` requests in turn: time from the upstream's last image byte to ours, per request. */
export async function handoffRun({ url, headers = {}, body, n = 20, stats_url }) {
  const samples = [];
  const totals = [];
  let errors = 0;
  for (let i = 0; i < n; i++) {
    try {
      const at = await new Promise((resolve, reject) => {
        const payload = Buffer.from(body);
        const seen = imageEndDetector();
        let end = null;
        const req = http.request(
          url,
          { method: 'POST', headers: { ...headers, 'content-length': String(payload.length) }, agent: false },
          (res) => {
            res.on('data', (d) => {
              if (seen(d)) end = epochMs();
            });
            res.on('end', () =>
              res.statusCode === 200 && end !== null
                ? resolve(end)
                : reject(new Error(`HTTP ${res.statusCode}, image end ${end}`)),
            );
            res.on('error', reject);
          },
        );
        req.setTimeout(60_000, () => req.destroy(new Error('timeout')));
        req.on('error', reject);
        req.end(payload);
      });
      const t0 = performance.now();
      const stats = JSON.parse((await request(stats_url, { method: 'GET', timeoutMs: 5000 })).body.toString());
      totals.push(performance.now() - t0);
      if (typeof stats.last_image_at !== 'number') throw new Error('the upstream reports no last_image_at');
      samples.push(at - stats.last_image_at);
    } catch {
      errors++;
    }
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const r3 = (x) => (x === null ? null : Math.round(x * 1000) / 1000);
  return {
    requests: samples.length,
    errors,
    handoff_p50_ms: r3(percentile(sorted, 0.5)),
    handoff_p90_ms: r3(percentile(sorted, 0.9)),
    handoff_min_ms: r3(sorted[0] ?? null),
    handoff_max_ms: r3(sorted.at(-1) ?? null),
    samples_ms: samples.map(r3),
  };
}

/** `n` requests started at once (one each): latency to the last byte and to the first. */
export async function burstRun({ url, headers = {}, body, n = 16, timeout_s = 600 }) {
  const rs = await Promise.all(
    Array.from({ length: n }, () =>
      request(url, { headers, body, timeoutMs: timeout_s * 1000 }).catch((err) => ({ error: err.message })),
    ),
  );
  const ok = rs.filter((r) => !r.error && r.status === 200);
  const totals = ok.map((r) => r.total_ms).sort((a, b) => a - b);
  const ttfbs = ok.map((r) => r.ttfb_ms).sort((a, b) => a - b);
  const r3 = (x) => (x === null || x === undefined ? null : Math.round(x * 1000) / 1000);
  return {
    requests: ok.length,
    errors: rs.filter((r) => r.error).length,
    non2xx: rs.filter((r) => !r.error && r.status !== 200).length,
    total_p50_ms: r3(percentile(totals, 0.5)),
    total_min_ms: r3(totals[0]),
    total_max_ms: r3(totals.at(-1)),
    ttfb_p50_ms: r3(percentile(ttfbs, 0.5)),
    answer_bytes: ok[0]?.body.length ?? null,
  };
}

const MODES = { ttfb: ttfbLoad, handoff: handoffRun, burst: burstRun };
if (import.meta.url === `file://${process.argv[1]}` && MODES[process.argv[2]]) {
  const result = await MODES[process.argv[2]](JSON.parse(process.argv[3]));
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}
