// node:test glue: one environment per describe block, skipped when the binary is missing,
// and every failure message extended with the gateway's and the IdP's logs and the hops.
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { gatehouseBinary, startEnvironment } from '../../../scripts/e2e-env.mjs';

export const BIN = gatehouseBinary();

/** Reason to skip (a string) when there is no binary to test; CI sets GATEHOUSE_REQUIRE_BIN=1
 *  so that a missing build fails instead of skipping silently. */
export function skipReason() {
  if (existsSync(BIN)) return false;
  const msg = `gatehouse binary not found at ${BIN} (make build, or set GATEHOUSE_BIN)`;
  if (process.env.GATEHOUSE_REQUIRE_BIN === '1') throw new Error(msg);
  return msg;
}

/**
 * Registers before/after hooks starting an environment for the enclosing describe block.
 * Returns a holder whose `env` is set once started. On any failure in the block the temp dir
 * (config, logs, database) is kept and its path printed.
 */
export function useEnvironment(options = {}) {
  const holder = { env: undefined, failed: false, browsers: [] };
  before(async () => { holder.env = await startEnvironment(options); });
  after(async () => {
    if (!holder.env) return;
    // E2E_KEEP_TMP=1 keeps every temp dir, a failure keeps its own.
    const codes = await holder.env.stop({ keep: holder.failed || Boolean(process.env.E2E_KEEP_TMP) });
    if (holder.failed) console.error(`kept ${holder.env.tmpDir} for inspection`);
    // Graceful shutdown is part of the contract: SIGTERM -> exit 0 within 5 s.
    if (codes.gatehouse !== 0) console.error(`gatehouse exit on SIGTERM: ${codes.gatehouse} (expected 0)`);
  });
  return holder;
}

/**
 * test() whose failures carry diagnostics: the logs of `holder.env` and the hop trace of every
 * browser the test registered with `track(browser)`.
 */
export function check(holder, name, fn, options = {}) {
  return test(name, options, async (t) => {
    const browsers = [];
    const track = (b) => { browsers.push(b); return b; };
    try {
      await fn({ t, env: holder.env, track });
    } catch (err) {
      holder.failed = true;
      const child = holder.env?.gatehouse?.child;
      const died = child && (child.exitCode !== null || child.signalCode !== null)
        ? `*** gatehouse is no longer running (exit ${child.exitCode ?? child.signalCode}): later failures follow from this ***` : '';
      const extra = [died, ...browsers.map((b) => b.traceText()), holder.env?.diagnostics(40) ?? ''].filter(Boolean).join('\n');
      // The TAP reporter prints .message, the spec reporter .stack: extend both.
      const original = err.message;
      err.message = `${original}\n${extra}`;
      if (typeof err.stack === 'string') err.stack = err.stack.replace(original, err.message);
      throw err;
    }
  });
}
