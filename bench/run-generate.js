// One measured `edge-wizard generate` in a fresh process: prints {ms, cpuMs, userMs, sysMs, maxRssMiB, code}.
import { main } from '../dist/cli/main.js';
import { Writable } from 'node:stream';

const [file, out] = process.argv.slice(2);
const quiet = new Writable({
  write(_c, _e, cb) {
    cb();
  },
});
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const code = await main(['generate', '-f', file, '--out', out], quiet, process.stderr);
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1000;
process.stdout.write(
  JSON.stringify({ ms, cpuMs, userMs: cpu.user / 1000, sysMs: cpu.system / 1000, maxRssMiB: process.resourceUsage().maxRSS / 1024, code }) + '\n',
);
