// node scripts/lab-usage.mjs <state-dir>/<lab>/state.json (as root): what a running lab's
// containers hold: per container, the PSS and RSS of every process in its PID namespace plus
// its systemd-nspawn (/proc/PID/smaps_rollup), then the totals and root's inotify instances
// (anon_inode:inotify file descriptors) against fs.inotify.max_user_instances.
// docs/lab.md "How big a lab this machine holds" was measured with it.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('Usage: node scripts/lab-usage.mjs <state-dir>/<lab>/state.json');
  process.exit(2);
}
const state = JSON.parse(readFileSync(file, 'utf8'));
const tryRead = (f, read) => {
  try {
    return read(f);
  } catch {
    return undefined; // the process ended meanwhile
  }
};
const pidNs = (pid) => tryRead(`/proc/${pid}/ns/pid`, readlinkSync);
const rollup = (pid) => {
  const text = tryRead(`/proc/${pid}/smaps_rollup`, (f) => readFileSync(f, 'utf8')) ?? '';
  const kb = (key) => Number(text.match(new RegExp(`^${key}:\\s+(\\d+)`, 'm'))?.[1] ?? 0);
  return { pss: kb('Pss'), rss: kb('Rss') };
};
const inotify = (pid) =>
  (tryRead(`/proc/${pid}/fd`, readdirSync) ?? []).filter((fd) => tryRead(`/proc/${pid}/fd/${fd}`, readlinkSync) === 'anon_inode:inotify').length;

const byNs = new Map();
let rootInotify = 0;
for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
  const ns = pidNs(pid);
  if (ns) byNs.set(ns, [...(byNs.get(ns) ?? []), pid]);
  if (/^Uid:\s+0\s/m.test(tryRead(`/proc/${pid}/status`, (f) => readFileSync(f, 'utf8')) ?? '')) rootInotify += inotify(pid);
}
const mib = (kb) => (kb / 1024).toFixed(1);
const total = { pss: 0, rss: 0, inotify: 0 };
const rows = Object.entries(state.hosts).map(([name, h]) => {
  const pids = byNs.get(pidNs(h.initPid)) ?? [];
  const r = { pss: 0, rss: 0, inotify: 0 };
  for (const pid of [...pids, h.nspawnPid]) {
    const m = rollup(pid);
    r.pss += m.pss;
    r.rss += m.rss;
  }
  for (const pid of pids) r.inotify += inotify(pid);
  for (const k of Object.keys(total)) total[k] += r[k];
  return `${name.padEnd(40)} processes ${String(pids.length).padStart(3)}  PSS ${mib(r.pss).padStart(7)} MiB  RSS ${mib(r.rss).padStart(7)} MiB  inotify ${r.inotify}`;
});
const n = rows.length || 1;
console.log(rows.join('\n'));
console.log(
  `${rows.length} containers: PSS ${mib(total.pss)} MiB (${mib(total.pss / n)} per container), RSS ${mib(total.rss)} MiB; inotify ${total.inotify} in the containers`,
);
console.log(
  `root's inotify instances: ${rootInotify} of ${readFileSync('/proc/sys/fs/inotify/max_user_instances', 'utf8').trim()} (fs.inotify.max_user_instances)`,
);
