// The gatehouse command line as the tests run it (every command but `serve` in an environment):
// bounded, its output returned, and in a recorded run (GATEHOUSE_TEST_LOG_DIR) its output and
// the secrets its config names kept for the whole run's log check (scripts/e2e-record.mjs).
import { execFile } from 'node:child_process';
import { recordCommandSecrets, writeLog } from '../../../scripts/e2e-record.mjs';
import { BIN } from './harness.mjs';

/** The caller's environment without its GATEHOUSE_* variables, which would override the file. */
export const withoutGatehouseVariables = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));

/**
 * Runs `gatehouse ...args`; resolves to { code, stdout, stderr, output } where code is the exit
 * status (0 on success), the signal, or `killed after N s` past `timeoutMs`.
 */
export function gatehouse(args, { cwd, env = withoutGatehouseVariables(), timeoutMs = 20_000, maxBuffer = 64 << 20 } = {}) {
  return new Promise((resolve) => {
    execFile(BIN, args, { cwd, env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer }, (err, stdout, stderr) => {
      const code = err ? (err.killed ? `killed after ${timeoutMs / 1000} s` : err.code ?? err.signal) : 0;
      writeLog(`cli-${String(args[0] ?? '').replace(/\W+/g, '') || 'none'}`, `${stdout}${stderr}`);
      recordCommandSecrets(args, { cwd, env });
      resolve({ code, stdout, stderr, output: `${stdout}${stderr}` });
    });
  });
}
