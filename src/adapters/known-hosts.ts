/**
 * The controller's known_hosts, as its ssh reads it for the scenario's hosts: the file
 * comes from `ssh -G` with the scenario's ssh options (so `-F FILE` and
 * UserKnownHostsFile are honoured), the old entry goes with `ssh-keygen -R` (which
 * also finds hashed entries), and the key read through the frontend is appended.
 */
import { appendFile, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import type { Exec } from './exec.js';

/** The first UserKnownHostsFile ssh uses for `address:port` with these options. */
export async function knownHostsFile(exec: Exec, sshArgs: string[], target: { address: string; port: number }): Promise<string> {
  const r = await exec('ssh', [...sshArgs, '-G', '-p', String(target.port), target.address]);
  const line = r.stdout.split('\n').find((l) => l.toLowerCase().startsWith('userknownhostsfile '));
  const file = line?.split(/\s+/)[1] ?? '~/.ssh/known_hosts';
  return file.startsWith('~/') ? `${homedir()}/${file.slice(2)}` : file;
}

/** Replaces every key of `name` in `file` with `key` (`type base64`). */
export async function replaceKnownHost(exec: Exec, file: string, name: string, key: string): Promise<void> {
  await exec('ssh-keygen', ['-R', name, '-f', file]);
  await rm(`${file}.old`, { force: true });
  await appendFile(file, `${name} ${key}\n`, { mode: 0o600 });
}

/** `SHA256:...` as ssh prints a key's fingerprint, from `type base64`. */
export function keyFingerprint(key: string): string {
  const blob = Buffer.from(key.split(' ')[1] ?? '', 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}
