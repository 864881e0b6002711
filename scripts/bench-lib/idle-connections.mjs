// The gateway's memory with many idle keep-alive connections: RSS before, with them and after,
// its open-files limit, and how many it accepted (hold-connections.py opens and holds them).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readPart } from '../e2e-env.mjs';

const HOLDER = fileURLToPath(new URL('./hold-connections.py', import.meta.url));

const status = (pid, field) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
export const rssKiB = (pid) => status(pid, 'VmRSS');
const openFds = (pid) => { try { return readdirSync(`/proc/${pid}/fd`).length; } catch { return NaN; } };

/** "Max open files" of a process: { soft, hard } (numbers, or 'unlimited'). */
export function maxOpenFiles(pid = 'self') {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  const value = (v) => (v === 'unlimited' ? v : Number(v));
  return m ? { soft: value(m[1]), hard: value(m[2]) } : { soft: NaN, hard: NaN };
}

/** Lines of the gateway's log that speak of limits, descriptors or refused connections. */
function limitLines(text) {
  return text.split('\n').filter((l) => /limit|open files|nofile|rlimit|descriptor|accept failed|connection limit/i.test(l));
}

/** Resolves to the next line of `lines` (a readline interface), or rejects after `ms`. */
function nextLine(lines, ms, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms / 1000} s`)), ms);
    lines.once('line', (l) => { clearTimeout(timer); resolve(l); });
  });
}

/**
 * Opens `count` idle keep-alive connections to the gateway at port (pid: its process, logFile:
 * its log), measures, closes them. Resolves to { requested, accepted, open, failures, rssBefore,
 * rssWith, rssAfter (KiB), fdsBefore, fdsWith, fdsAfter, limits, parentLimits, holderNofile, logLines, seconds }.
 */
export async function measureIdleConnections({ port, pid, logFile, count, log = () => {} }) {
  await new Promise((r) => setTimeout(r, 2000)); // the last wrk's connections are closed by now
  // A byte offset, not the log itself: after a load run with access logs it can exceed what one
  // string may hold.
  const logBefore = statSync(logFile).size;
  const limits = maxOpenFiles(pid);
  // What the gateway started with: bench-http.sh's wrapper sets BENCH_NOFILE_SOFT, else ours.
  const parentLimits = { ...maxOpenFiles(), ...(process.env.BENCH_NOFILE_SOFT ? { soft: Number(process.env.BENCH_NOFILE_SOFT) } : {}) };
  const rssBefore = rssKiB(pid);
  const fdsBefore = openFds(pid);
  const holder = spawn('python3', [HOLDER, '127.0.0.1', String(port), String(count), '/healthz', '90'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(holder, 'exit');
  const lines = createInterface({ input: holder.stdout });
  try {
    const opened = JSON.parse(await nextLine(lines, 120_000, 'hold-connections.py'));
    const rssWith = rssKiB(pid);
    const fdsWith = openFds(pid);
    log(`${opened.accepted} of ${count} idle connections open (${opened.seconds} s); gateway RSS ${rssWith} KiB, ${fdsWith} fds`);
    holder.stdin.write('close\n');
    const closed = JSON.parse(await nextLine(lines, 30_000, 'hold-connections.py (closing)'));
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    await new Promise((r) => setTimeout(r, 1000));
    return {
      requested: count,
      accepted: opened.accepted,
      open: opened.open,
      openAtClose: closed.open_at_close,
      failures: opened.failures,
      holderNofile: opened.nofile,
      seconds: opened.seconds,
      rssBefore,
      rssWith,
      rssAfter: rssKiB(pid),
      fdsBefore,
      fdsWith,
      fdsAfter: openFds(pid),
      limits,
      parentLimits,
      logLines: limitLines(readPart(logFile, 1 << 20, logBefore)),
    };
  } finally {
    if (holder.exitCode === null && holder.signalCode === null) holder.kill('SIGKILL');
  }
}

/** The memory figure as lines of text, with the reason when `requested` was not reached. */
export function describeIdleConnections(m) {
  const mib = (k) => `${(k / 1024).toFixed(1)} MiB`;
  const perConn = m.open > 0 ? ((m.rssWith - m.rssBefore) / m.open).toFixed(1) : '–';
  const lim = (l) => `soft ${l.soft}, hard ${l.hard}`;
  const raised = m.limits.soft !== m.parentLimits.soft
    ? `differs from the soft ${m.parentLimits.soft} it was started with: the gateway changed it`
    : m.parentLimits.soft === m.parentLimits.hard
      ? 'as started (already at the hard limit, so raising could not show)'
      : 'as started: not raised by the gateway';
  const out = [
    `idle keep-alive connections: ${m.requested} requested, ${m.accepted} accepted (answered GET /healthz), ${m.open} still open after 1 s, ${m.openAtClose} at close; opened in ${m.seconds} s`,
    `gateway RSS: ${mib(m.rssBefore)} before, ${mib(m.rssWith)} with them (+${mib(m.rssWith - m.rssBefore)}, ${perConn} KiB per open connection), ${mib(m.rssAfter)} 1 s after closing; gateway fds ${m.fdsBefore} before, ${m.fdsWith} with them, ${m.fdsAfter} after`,
    `gateway "Max open files": ${lim(m.limits)} — ${raised}; the client raised its own to ${m.holderNofile.join('/')}`,
  ];
  if (m.logLines.length) out.push(`gateway log on limits/refusals (${m.logLines.length} lines): ${[...new Set(m.logLines.map((l) => l.replace(/^\S+\s+/, '')))].slice(0, 3).join(' | ')}`);
  else out.push('gateway log: nothing about limits or refused connections during the test');
  if (m.open < m.requested) {
    const reasons = Object.entries(m.failures).map(([k, v]) => `${v} ${k}`).join(', ') || 'closed after being answered';
    const why = [];
    if (Number.isFinite(m.limits.soft) && m.limits.soft < m.requested + 64) why.push(`the gateway's open-files limit (${m.limits.soft}) is below ${m.requested} + its own files`);
    if (m.logLines.some((l) => /connection limit/i.test(l))) why.push('the gateway\'s connection limit (http::ServerOptions::max_connections, 10,000 by default) closed the rest');
    if (m.logLines.some((l) => /accept failed/i.test(l))) why.push('accept() failed in the gateway (see its log line above)');
    out.push(`NOT REACHED: ${m.requested - m.open} short (${reasons})${why.length ? `; why: ${why.join('; ')}` : ''}`);
  }
  return out;
}
