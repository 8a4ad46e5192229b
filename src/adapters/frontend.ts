/**
 * Reads the provisions from the OpenNebula frontend over the scenario's SSH path
 * (`ssh [-J jump] user@frontend`, as Ansible and the oned tunnel reach it), read
 * only: `oneprovision list --json`, `oneprovision show ID --json` (6.x, and 7.2+
 * where oneprovision asks the OneForm server) and `onehost list --json` (6.x
 * names a provision's hosts there), run as oneadmin. Nothing is written on the
 * frontend. Two SSH connections: the lists, then every show at once.
 */
import type { Scenario } from '../core/scenario.js';
import { proxyJumpSpec } from '../core/inventory.js';
import { sshArgWords } from '../core/ssh-hosts.js';
import type { Exec } from './exec.js';

export interface FrontendRead {
  /** `oneprovision show ID --json` of every provision the list names. */
  shows: Array<{ id: string; text: string }>;
  /** `onehost list --json` (undefined when the command failed: 7.2+ does not need it). */
  hostsText?: string;
  /** The commands run, as shown to the user. */
  commands: string[];
}

/** Fixed words only: IDs are checked to be digits before they reach the remote shell. */
const AS_ONEADMIN = (cmd: string) =>
  `if [ "$(id -un)" = oneadmin ]; then ${cmd}; elif [ "$(id -u)" = 0 ]; then runuser -l oneadmin -c '${cmd}'; else sudo -n -i -u oneadmin ${cmd}; fi`;

const MARK = '__edge_wizard_end__';

/** One remote script running each command as oneadmin, each output followed by a marker line with its exit code. */
export function remoteScript(cmds: string[]): string {
  for (const c of cmds) if (!/^[a-z]+ (list|show [0-9]+) --json$/.test(c)) throw new Error(`not a read-only frontend command: ${c}`);
  return cmds.map((c) => `${AS_ONEADMIN(c)}; rc=$?; echo; echo "${MARK} $rc"`).join('; ');
}

export function sshArgv(s: Scenario, remote: string): string[] {
  const jump = proxyJumpSpec(s);
  return [
    ...sshArgWords(s.ansible.ssh_common_args),
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=15',
    '-p',
    String(s.frontend.ssh_port),
    ...(jump ? ['-J', jump] : []),
    `${s.frontend.ssh_user}@${s.frontend.address}`,
    remote,
  ];
}

/** Splits the script's output at the markers: one `{text, code}` per command. */
export function splitOutputs(stdout: string, count: number): Array<{ text: string; code: number }> | undefined {
  const out: Array<{ text: string; code: number }> = [];
  let rest = stdout;
  for (let i = 0; i < count; i++) {
    const m = new RegExp(`^${MARK} (\\d+)$`, 'm').exec(rest);
    if (!m) return undefined;
    out.push({ text: rest.slice(0, m.index), code: Number(m[1]) });
    rest = rest.slice(m.index + m[0].length);
  }
  return out;
}

export class FrontendError extends Error {}

/** The provision IDs of `oneprovision list --json`: 6.x `DOCUMENT_POOL.DOCUMENT` (one object or a list, none when empty); a list of documents is read too. */
export function provisionIds(listJson: string): string[] {
  let j: unknown;
  try {
    j = JSON.parse(listJson || '{}');
  } catch {
    throw new FrontendError('"oneprovision list --json" on the frontend did not print JSON: check that oneprovision runs there as oneadmin.');
  }
  const pool = (j as { DOCUMENT_POOL?: { DOCUMENT?: unknown } })?.DOCUMENT_POOL;
  const docs = pool !== undefined ? pool?.DOCUMENT : j;
  const list = docs === undefined || docs === null ? [] : Array.isArray(docs) ? docs : [docs];
  return list.map((d) => String((d as { ID?: unknown })?.ID ?? '')).filter((id) => /^[0-9]+$/.test(id));
}

export async function readFrontend(s: Scenario, exec: Exec): Promise<FrontendRead> {
  const where = `${s.frontend.ssh_user}@${s.frontend.address}${proxyJumpSpec(s) ? ` through ${proxyJumpSpec(s)}` : ''}`;
  const run = async (cmds: string[]) => {
    const r = await exec('ssh', sshArgv(s, remoteScript(cmds)), { timeout: 120_000 });
    const parts = r.exitCode === 255 || r.failedToStart ? undefined : splitOutputs(r.stdout, cmds.length);
    if (!parts) {
      const why = (r.stderr.trim().split('\n').pop() ?? '').slice(0, 200);
      throw new FrontendError(
        `Could not run oneprovision on the frontend ${where}${why ? ` (${why})` : ''}: check frontend.address, frontend.ssh_user and frontend.proxy_jump, and that "ssh ${where}" works.`,
      );
    }
    return parts;
  };
  const lists = ['oneprovision list --json', 'onehost list --json'];
  const [list, hosts] = (await run(lists)) as [{ text: string; code: number }, { text: string; code: number }];
  if (list.code !== 0) {
    throw new FrontendError(
      `"oneprovision list --json" failed on the frontend ${where} (exit ${list.code}): check that OpenNebula's oneprovision (6.x, or 7.2+ with OneForm) is installed there and runs as oneadmin.`,
    );
  }
  const ids = provisionIds(list.text);
  const showCmds = ids.map((id) => `oneprovision show ${id} --json`);
  const shows = ids.length ? await run(showCmds) : [];
  shows.forEach((r, i) => {
    if (r.code !== 0) throw new FrontendError(`"${showCmds[i]}" failed on the frontend ${where} (exit ${r.code}).`);
  });
  return {
    shows: shows.map((r, i) => ({ id: ids[i]!, text: r.text })),
    hostsText: hosts.code === 0 ? hosts.text : undefined,
    commands: [...lists, ...showCmds],
  };
}
