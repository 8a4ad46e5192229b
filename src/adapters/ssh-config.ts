/** Reads an ssh client config (default ~/.ssh/config) with the `ssh-config` package. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import SSHConfig, { LineType } from 'ssh-config';
import { readText } from './files.js';
import { isPickable, type SshAlias } from '../core/ssh-hosts.js';

export function defaultSshConfigPath(): string {
  return join(homedir(), '.ssh', 'config');
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function expandHome(p: string): string {
  return p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
}

/** Parses config text into the aliases it defines, each with the options ssh would compute for it. */
export function aliasesFromText(text: string): SshAlias[] {
  const config = SSHConfig.parse(text);
  const names: string[] = [];
  for (const line of config) {
    if (line.type !== LineType.DIRECTIVE || line.param.toLowerCase() !== 'host') continue;
    const values = Array.isArray(line.value) ? line.value.map((v) => v.val) : line.value.split(/\s+/);
    for (const v of values) if (isPickable(v) && !names.includes(v)) names.push(v);
  }
  return names.map((alias) => {
    const c = config.compute(alias);
    const ids = c.IdentityFile;
    const port = first(c.Port);
    return {
      alias,
      hostName: first(c.HostName),
      user: first(c.User),
      port: port ? Number(port) : undefined,
      identityFiles: (Array.isArray(ids) ? ids : ids ? [ids] : []).map(expandHome),
      proxyJump: first(c.ProxyJump),
    };
  });
}

/** The IdentityFiles ssh would use for `host` under this config text, `~/` expanded. */
export function identityFilesFor(text: string, host: string): string[] {
  const ids = SSHConfig.parse(text).compute(host).IdentityFile;
  return (Array.isArray(ids) ? ids : ids ? [ids] : []).map(expandHome);
}

/** The aliases of the config at `path` (missing file: none). */
export async function readSshAliases(path: string): Promise<SshAlias[]> {
  const text = await readText(path);
  return text === undefined ? [] : aliasesFromText(text);
}
