// opennebula.password as an Ansible Vault string, decrypted by the real ansible-vault.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultDeps } from '../../src/cli/commands/one.js';
import { resolvePassword } from '../../src/adapters/opennebula/tunnel.js';

const hasVault = (() => {
  try {
    execFileSync('ansible-vault', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasVault) console.warn('SKIPPED: ansible-vault not installed (apt-get install ansible-core)');

(hasVault ? test : test.skip)(
  'a vault string decrypts with the vault password file, and fails in one sentence without it',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ew-vault-'));
    const passFile = join(dir, 'vault-pass');
    writeFileSync(passFile, 'vault-secret\n', { mode: 0o600 });
    const vault = execFileSync('ansible-vault', ['encrypt', '--vault-password-file', passFile, '--output', '-', '-'], { input: 'S3cret-One-Pass' }).toString();
    expect(vault).toMatch(/^\$ANSIBLE_VAULT;1\.1;AES256\n/);
    const deps = await defaultDeps();
    await expect(resolvePassword({ vault }, { env: { ANSIBLE_VAULT_PASSWORD_FILE: passFile }, exec: deps.exec })).resolves.toBe('S3cret-One-Pass');
    const wrong = join(dir, 'wrong');
    writeFileSync(wrong, 'nope\n', { mode: 0o600 });
    await expect(resolvePassword({ vault }, { env: { ANSIBLE_VAULT_PASSWORD_FILE: wrong }, exec: deps.exec })).rejects.toThrow(
      'opennebula.password could not be decrypted with ansible-vault: check the vault password file.',
    );
  },
  60_000,
);
