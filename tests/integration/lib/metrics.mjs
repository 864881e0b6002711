// Reading a gateway's Prometheus metrics in the integration tests.
import { assertStatus } from './expect.mjs';

/** The value of one sample line `name{labels} value` (labels as written), or undefined. */
export function sample(text, series) {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** GET /metrics on a gateway's admin listener (`adminUrl`) with the admin token; the text. */
export async function scrape(adminUrl, token) {
  const res = await fetch(`${adminUrl}/metrics`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  assertStatus(res.status, 200, `GET ${adminUrl}/metrics`, text);
  return text;
}

/** The sum of one series over several gateways' admin listeners (a missing series counts 0). */
export async function sampleSum(adminUrls, token, series) {
  let total = 0;
  for (const url of adminUrls) total += sample(await scrape(url, token), series) ?? 0;
  return total;
}
