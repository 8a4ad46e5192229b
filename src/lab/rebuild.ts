/**
 * `lab rebuild HOST`: the host as oneprovision re-creates one under the same name and
 * addresses: a fresh disk (its overlay's writable layer emptied), a new SSH host key,
 * root open to oneprovision's key only, the AWS REJECT rule back, no WireGuard key, no
 * FRR configuration. The lab's other hosts learn the new key (as the provider's own
 * record does); the controller's known_hosts does not: deploy must stop and name the
 * host until the operator accepts the new key (deploy --accept-new-host-key).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { UserFacingError } from '../core/errors.js';
import { waitFor, type LabDeps } from './exec.js';
import { labFlags, labHost, runningHost, type HostFaultOptions } from './faults.js';
import { renderKnownHosts } from './files.js';
import {
  hostKey,
  isMounted,
  mountOverlay,
  mountPoint,
  rejectRulePresent,
  sshdListening,
  startHost,
  stopHosts,
  unmountOverlay,
  waitBooted,
  waitForInit,
  writeHostFiles,
} from './hosts.js';
import { context } from './lab.js';
import { attachNamespace, hostCut, hostMacs, linkExists, listNamespaces, plugHost, setHostPorts } from './netns.js';
import { readState, writeState } from './state.js';
import { run } from './exec.js';

export interface RebuildResult {
  host: string;
  oldKey: string;
  newKey: string;
  seconds: number;
}

const pubOf = (root: string) => {
  const p = `${root}/etc/ssh/ssh_host_ed25519_key.pub`;
  return existsSync(p) ? readFileSync(p, 'utf8').trim() : '';
};

export async function labRebuild(opts: HostFaultOptions, deps: LabDeps): Promise<RebuildResult> {
  const ctx = context(opts);
  const { t, paths } = ctx;
  const h = labHost(t, opts.host);
  if (!deps.isRoot()) throw new UserFacingError('The lab runs as root: run "edge-wizard lab rebuild" as root too (e.g. with sudo).');
  if (!(await listNamespaces(deps)).includes(t.inetNs))
    throw new UserFacingError(`Lab "${t.lab}" is not up (no namespace ${t.inetNs}): start it with "edge-wizard lab up${labFlags(opts)}".`);
  const state = readState(paths.state);
  const hs = runningHost(state, h);
  if (!state || !hs) throw new UserFacingError(`${h.name} of lab "${t.lab}" is not running: start the lab with "edge-wizard lab up${labFlags(opts)}".`);
  const started = deps.now();
  const cut = await hostCut(deps, t, h);
  const macs = await hostMacs(deps, t, h);
  const oldKey = pubOf(hs.mount);

  // The machine goes away, and its disk with it.
  await stopHosts(deps, [{ machine: h.machine, nspawnPid: hs.nspawnPid, initPid: hs.initPid }]);
  for (const i of h.interfaces) {
    if (await linkExists(deps, i.peer, t.inetNs)) await run(deps, 'ip', ['-n', t.inetNs, 'link', 'del', i.peer]);
  }
  await unmountOverlay(deps, hs.mount);
  if (isMounted(hs.mount))
    throw new UserFacingError(
      `Could not unmount ${hs.mount}: check "fuser -vm ${hs.mount}" and run "edge-wizard lab rebuild ${h.name}${labFlags(opts)}" again.`,
    );
  for (const d of ['upper', 'work']) rmSync(`${hs.mount.replace(/\/root$/, '')}/${d}`, { recursive: true, force: true });

  // A new machine under the same name: new host key, the files oneprovision leaves.
  const root = await mountOverlay(deps, paths, h, state.rootfs);
  const newKey = await hostKey(deps, root, h);
  const hostKeys: Record<string, string> = {};
  for (const x of t.hosts) hostKeys[x.name] = x === h ? newKey : pubOf(mountPoint(paths, x));
  const knownHosts = renderKnownHosts(t, hostKeys);
  const frontend = t.hosts.find((x) => x.role === 'frontend')!;
  const oneprovisionPub = readFileSync(`${mountPoint(paths, frontend)}${t.oneprovisionKey}.pub`, 'utf8').trim();
  const controllerPub = readFileSync(`${paths.key}.pub`, 'utf8').trim();
  await writeHostFiles(deps, t, h, root, { hostKeys, controllerPub, oneprovisionPub }, knownHosts);
  // The provider's record (the other hosts' global known_hosts) knows the new machine.
  for (const x of t.hosts)
    if (x !== h && isMounted(mountPoint(paths, x))) writeFileSync(`${mountPoint(paths, x)}/etc/ssh/ssh_known_hosts`, knownHosts, { mode: 0o644 });

  hs.nspawnPid = startHost(deps, paths, h, root);
  hs.initPid = undefined;
  writeState(paths.state, state);
  hs.initPid = await waitForInit(deps, hs.nspawnPid, h.machine);
  await attachNamespace(deps, h.machine, hs.initPid);
  await plugHost(deps, t, h, macs);
  if (cut) await setHostPorts(deps, t, h, false);
  writeState(paths.state, state);
  await waitBooted(deps, h, hs.initPid);
  await waitFor(deps, `sshd on ${h.name}`, 60_000, async () => ((await sshdListening(deps, h)) ? true : undefined), 100);
  if (h.role === 'kvm') {
    const initPid = hs.initPid;
    await waitFor(deps, `the firewall of ${h.name}`, 20_000, async () => ((await rejectRulePresent(deps, initPid, t.kvmPublicInterface)) ? true : undefined));
  }
  return { host: h.name, oldKey, newKey, seconds: (deps.now() - started) / 1000 };
}

export function renderRebuild(r: RebuildResult, opts: HostFaultOptions, scenario: string): string {
  const blob = (k: string) => k.split(/\s+/).slice(0, 2).join(' ');
  return [
    `${r.host} rebuilt in ${r.seconds.toFixed(1)} s: a fresh disk, a new SSH host key, root open to oneprovision's key only, the AWS REJECT rule back.`,
    `  old key: ${blob(r.oldKey) || '(none)'}`,
    `  new key: ${blob(r.newKey)}`,
    `This controller's known_hosts still holds the old key: deploy stops and names ${r.host} until you accept the new one:`,
    `  edge-wizard deploy -f ${scenario} --accept-new-host-key ${r.host}`,
    '',
  ].join('\n');
}
