/**
 * Reaches oned through an SSH local forward along the scenario's path to the
 * frontend: `ssh -N -L 127.0.0.1:<free port>:127.0.0.1:<xmlrpc_port> [-J jump] user@frontend`.
 * Argument arrays only (execa); `exec` is injected so tests can pass a fake.
 */
import net from 'node:net';
import type { Scenario, Secret } from '../../core/scenario.js';
import { proxyJumpSpec } from '../../core/inventory.js';
import { sshArgWords } from '../../core/ssh-hosts.js';

export interface SpawnedProcess {
  kill(signal?: NodeJS.Signals): boolean;
  /** Settles when the process exits. */
  then?: unknown;
}
export type Spawn = (file: string, args: string[]) => SpawnedProcess & Promise<unknown>;

/** The -J spec: `ingress` (through the ingress as its ssh_user), `none`, or a literal `user@host[:port]` (core's rule). */
export const proxyJump = proxyJumpSpec;

export function tunnelArgv(s: Scenario, localPort: number): string[] {
  const jump = proxyJump(s);
  return [
    // The scenario's own ssh options (-F config, IdentityFile...), as words, never re-joined into a string.
    ...sshArgWords(s.ansible.ssh_common_args),
    '-N',
    '-o',
    'ExitOnForwardFailure=yes',
    '-o',
    'BatchMode=yes',
    '-L',
    `127.0.0.1:${localPort}:127.0.0.1:${s.frontend.xmlrpc_port}`,
    '-p',
    String(s.frontend.ssh_port),
    ...(jump ? ['-J', jump] : []),
    `${s.frontend.ssh_user}@${s.frontend.address}`,
  ];
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

export interface Tunnel {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startTunnel(s: Scenario, deps: { spawn: Spawn; port?: () => Promise<number>; timeoutMs?: number }): Promise<Tunnel> {
  const port = await (deps.port ?? freePort)();
  const proc = deps.spawn('ssh', tunnelArgv(s, port));
  let exited: unknown;
  proc.then(
    (r) => {
      exited = r ?? 'exited';
    },
    (e: unknown) => {
      exited = e ?? 'failed';
    },
  );
  const deadline = Date.now() + (deps.timeoutMs ?? 20000);
  while (!(await canConnect(port))) {
    if (exited !== undefined || Date.now() > deadline) {
      proc.kill('SIGTERM');
      const how = s.frontend.proxy_jump === 'none' ? 'directly' : `through ${proxyJump(s)}`;
      throw new Error(
        `could not open an SSH tunnel to ${s.frontend.ssh_user}@${s.frontend.address} ${how}: check frontend.address and frontend.proxy_jump, or pass --endpoint`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    endpoint: `http://127.0.0.1:${port}/RPC2`,
    async stop() {
      proc.kill('SIGTERM');
      await Promise.resolve(proc).catch(() => undefined);
    },
  };
}

export type Exec = (file: string, args: string[], opts?: { input?: string; env?: Record<string, string | undefined> }) => Promise<{ stdout: string }>;

/**
 * The oneadmin password from `opennebula.password`: plain text, `{ env: NAME }`, or
 * `{ vault: "$ANSIBLE_VAULT;..." }` (decrypted with `ansible-vault decrypt`, which needs
 * ANSIBLE_VAULT_PASSWORD_FILE or ANSIBLE_VAULT_IDENTITY_LIST). Never logged.
 */
export async function resolvePassword(secret: Secret, deps: { env: NodeJS.ProcessEnv; exec: Exec }): Promise<string> {
  if (typeof secret === 'string') return secret;
  if ('env' in secret) {
    const v = deps.env[secret.env];
    if (v === undefined || v === '')
      throw new SecretError(`opennebula.password reads the environment variable ${secret.env}, which is not set: export ${secret.env} before running.`);
    return v;
  }
  if (!deps.env.ANSIBLE_VAULT_PASSWORD_FILE && !deps.env.ANSIBLE_VAULT_IDENTITY_LIST) {
    throw new SecretError(
      'opennebula.password is an Ansible Vault string: set ANSIBLE_VAULT_PASSWORD_FILE (or ANSIBLE_VAULT_IDENTITY_LIST) so it can be decrypted.',
    );
  }
  try {
    // The vault settings come from the same environment that was checked above.
    const env = { ANSIBLE_VAULT_PASSWORD_FILE: deps.env.ANSIBLE_VAULT_PASSWORD_FILE, ANSIBLE_VAULT_IDENTITY_LIST: deps.env.ANSIBLE_VAULT_IDENTITY_LIST };
    const { stdout } = await deps.exec('ansible-vault', ['decrypt', '--output', '-', '-'], { input: secret.vault.trim() + '\n', env });
    return stdout.replace(/\n$/, '');
  } catch {
    throw new SecretError('opennebula.password could not be decrypted with ansible-vault: check the vault password file.');
  }
}

export class SecretError extends Error {}
