/**
 * What an `~/.ssh/config` Host alias means for the scenario (pure: the adapter
 * src/adapters/ssh-config.ts reads and computes the config; this maps it).
 *
 * - HostName -> public_ip when it is a literal IP (otherwise the session asks for the IP);
 * - User -> ssh_user, Port -> ssh_port;
 * - IdentityFile -> `-o IdentityFile=...` in ansible.ssh_common_args (ssh tries each one given);
 * - ProxyJump -> frontend.proxy_jump for the frontend; for the ingress and KVM hosts the
 *   scenario has no per-host jump (they are reached on their public address), so it is a note.
 * - a config file other than ~/.ssh/config -> `-F FILE` in ansible.ssh_common_args, so
 *   Ansible's ssh reads the same file the user's ssh does.
 */
import { parse as shellParse, quote } from 'shell-quote';
import { isIp } from './net.js';

/** The computed options of one alias, as ssh would apply them (`ssh -G alias`). */
export interface SshAlias {
  alias: string;
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  proxyJump?: string;
}

export interface HostDefaults {
  /** Inventory name suggested for the alias (letters, digits, `_`, `-`; starts with a letter). */
  name: string;
  public_ip?: string;
  /** Set when HostName is a DNS name: the session asks for the IP and says why. */
  hostName?: string;
  ssh_user?: string;
  ssh_port?: number;
  identityFiles: string[];
  proxyJump?: string;
}

export function inventoryName(alias: string): string {
  let n = alias.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 63);
  if (!/^[A-Za-z]/.test(n)) n = `h_${n}`.slice(0, 63);
  return n;
}

/** Wildcard patterns and negations are not hosts one can pick. */
export function isPickable(alias: string): boolean {
  return alias.length > 0 && !/[*?!]/.test(alias);
}

export function hostDefaults(a: SshAlias): HostDefaults {
  const out: HostDefaults = { name: inventoryName(a.alias), identityFiles: a.identityFiles };
  const target = a.hostName ?? a.alias;
  if (isIp(target)) out.public_ip = target;
  else out.hostName = target;
  if (a.user) out.ssh_user = a.user;
  if (a.port) out.ssh_port = a.port;
  if (a.proxyJump && a.proxyJump.toLowerCase() !== 'none') out.proxyJump = a.proxyJump;
  return out;
}

function quoteArg(s: string): string {
  return /^[A-Za-z0-9_./~@:=+-]+$/.test(s) ? s : quote([s]);
}

/**
 * Adds the ssh options an alias needs to `ansible.ssh_common_args`, keeping what is
 * already there and never adding an option twice.
 */
export function mergeSshArgs(current: string | undefined, add: { configFile?: string; identityFiles?: string[] }): string | undefined {
  const parts = current ? [current] : [];
  const has = (s: string) => parts.some((p) => p.includes(s));
  if (add.configFile) {
    const f = `-F ${quoteArg(add.configFile)}`;
    if (!has(f)) parts.unshift(f);
  }
  for (const id of add.identityFiles ?? []) {
    const o = `-o IdentityFile=${quoteArg(id)}`;
    if (!has(o)) parts.push(o);
  }
  return parts.length ? parts.join(' ') : undefined;
}

/** `ansible.ssh_common_args` as the words ssh receives (split as Ansible's shlex does; `$X` stays literal). */
export function sshArgWords(args: string | undefined): string[] {
  return shellParse(args ?? '', (name) => `$${name}`).filter((w): w is string => typeof w === 'string');
}

/** What the controller's ssh options say, structured: the config file and the identity files, in order. */
export interface SshOptions {
  configFile?: string;
  identityFiles: string[];
}

export function sshOptions(args: string | undefined): SshOptions {
  const words = sshArgWords(args);
  const out: SshOptions = { identityFiles: [] };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const next = words[i + 1];
    if (w === '-F' && next !== undefined) out.configFile = next;
    else if (w.startsWith('-F') && w.length > 2) out.configFile = w.slice(2);
    else if (w === '-i' && next !== undefined) out.identityFiles.push(next);
    else if (w.startsWith('-i') && w.length > 2) out.identityFiles.push(w.slice(2));
    const opt = w === '-o' ? next : w.startsWith('-o') ? w.slice(2) : undefined;
    const m = opt !== undefined ? /^IdentityFile[= ]\s*(.+)$/i.exec(opt) : null;
    if (m) out.identityFiles.push(m[1]!);
  }
  return out;
}
