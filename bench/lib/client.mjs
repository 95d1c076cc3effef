// Small HTTP client for bench/run.mjs: one-off requests (checks, cache priming) and the
// time-to-first-byte load run, which wrk cannot measure (its `response` hook fires only once
// the whole response is in).
//
//   node bench/lib/client.mjs ttfb '{"url":..., "headers":{...}, "body":"...", "concurrency":32, "duration_s":5}'
// prints one JSON line: {"requests","errors","non2xx","ttfb_p50_ms","ttfb_p99_ms","total_p50_ms","total_p99_ms"}.
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

if (import.meta.url === `file://${process.argv[1]}` && process.argv[2] === 'ttfb') {
  const result = await ttfbLoad(JSON.parse(process.argv[3]));
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}
