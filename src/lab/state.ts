/**
 * The lab's registry (state.json in the lab's directory): what `lab up`
 * started, written before and after each step, so `lab down` finds everything
 * even after a crash. `down` also looks things up by their names, in case the
 * file is missing.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LabTopology } from './topology.js';

export interface HostState {
  machine: string;
  /** PID of systemd-nspawn. */
  nspawnPid?: number;
  /** PID of the container's systemd (in our PID namespace). */
  initPid?: number;
  /** Overlay mount point the container boots from. */
  mount: string;
}

export interface LabState {
  lab: string;
  /** The Debian release the hosts boot (absent: bookworm, as before releases were chosen). */
  release?: string;
  rootfs: string;
  createdAt: string;
  /** Namespaces created (internet) or attached (hosts). */
  namespaces: string[];
  /** veth in the root namespace. */
  rootLinks: string[];
  /** The controller's own network namespace (labs built by the command line): ssh goes through it. */
  controllerNs?: string;
  hosts: Record<string, HostState>;
  /** Set once every host answered on SSH. */
  ready?: boolean;
  /** What `lab up` built (absent in labs of the seed's shape recorded before `-f`): down, status, cut, heal and reboot read it. */
  topology?: LabTopology;
}

export function readState(path: string): LabState | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

export function writeState(path: string, state: LabState): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}
