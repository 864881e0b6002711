// Processes the HTTP benchmark starts besides e2e-env's: the bare upstream (the floor), and CPU
// pinning of running gateways with taskset.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Starts `bare_upstream PORT BODY_BYTES`; resolves to { url, pid, stop } once it is listening. */
export async function startBareUpstream(bin, port, bodyBytes) {
  const child = spawn(bin, [String(port), String(bodyBytes)], { stdio: ['ignore', 'pipe', 'inherit'] });
  process.once('exit', () => child.kill('SIGKILL'));
  const lines = createInterface({ input: child.stdout });
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${bin} did not say it was listening within 10 s`)), 10_000);
    lines.on('line', (l) => { if (/listening/.test(l)) { clearTimeout(timer); resolve(); } });
    child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`${bin} exited (${code ?? signal})`)); });
  });
  await ready;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  return { url: `http://127.0.0.1:${port}`, pid: child.pid, stop };
}

/** Pins every thread of `pid` to `cpus` (taskset syntax, e.g. "0" or "0-1"); threads created
 *  later inherit it. Resolves to the distinct Cpus_allowed_list values of its threads after. */
export async function pin(pid, cpus) {
  await run('taskset', ['-a', '-p', '-c', cpus, String(pid)], { timeout: 10_000 });
  return allowedCpus(pid);
}

/** The distinct Cpus_allowed_list values of the threads of `pid`, e.g. ['0']. */
export function allowedCpus(pid) {
  const lists = new Set();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const m = /^Cpus_allowed_list:\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'));
    if (m) lists.add(m[1]);
  }
  return [...lists];
}

/** How many threads `pid` runs now. */
export const threadCount = (pid) => readdirSync(`/proc/${pid}/task`).length;
