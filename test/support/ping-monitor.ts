/**
 * A ping between two lab VMs kept running on the VM's host while something else
 * happens (a deploy, a rebuild): stop() ends it and reads what it counted. Used by
 * the lifecycle lab test and `npm run lifecycle` for "the VMs not involved lose nothing".
 */
import type { HostRunner } from '../../src/lab/vms.js';

export interface PingCount {
  sent: number;
  received: number;
  lost: number;
}

/** `N packets transmitted, M received` -> counts. */
export function parsePingSummary(text: string): PingCount | undefined {
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(text);
  if (!m) return undefined;
  const sent = Number(m[1]);
  const received = Number(m[2]);
  return { sent, received, lost: sent - received };
}

export async function startPing(run: HostRunner, host: string, vmNs: string, address: string, tag: string): Promise<{ stop(): Promise<PingCount> }> {
  const log = `/tmp/ew-ping-${tag}.log`;
  const pidFile = `/tmp/ew-ping-${tag}.pid`;
  const started = await run(host, 'ip netns exec "$1" ping -i 0.2 "$2" > "$3" 2>&1 & echo $! > "$4"', [vmNs, address, log, pidFile]);
  if (started.exitCode !== 0) throw new Error(`ping from ${vmNs} on ${host} did not start: ${started.stderr}`);
  return {
    async stop() {
      const r = await run(host, 'kill -INT "$(cat "$2")" 2>/dev/null; sleep 1; cat "$1"; rm -f "$1" "$2"', [log, pidFile]);
      return parsePingSummary(r.stdout) ?? { sent: 0, received: 0, lost: 0 };
    },
  };
}
