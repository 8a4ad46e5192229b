/**
 * ssh options travel as words from the scenario to every ssh call: split once,
 * as Ansible's shlex does, never re-joined and parsed back.
 */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { controllerPublicKey } from '../../src/app/deploy.js';
import { tunnelArgv } from '../../src/adapters/opennebula/tunnel.js';
import { applyDefaults } from '../../src/core/defaults.js';
import { mergeSshArgs, sshArgWords, sshOptions } from '../../src/core/ssh-hosts.js';

const seed = YAML.parse(readFileSync(new URL('../../examples/seed-practical.yaml', import.meta.url), 'utf8'));

describe('ssh options as words', () => {
  const args = mergeSshArgs(undefined, { configFile: '/home/op/my ssh/config', identityFiles: ['/home/op/keys/edge key', "/k/it's"] });

  test('what the wizard writes splits back into the same paths', () => {
    expect(sshOptions(args)).toEqual({ configFile: '/home/op/my ssh/config', identityFiles: ['/home/op/keys/edge key', "/k/it's"] });
    expect(sshArgWords('-o IdentityFile="/a b/c" -i /d -F/e')).toEqual(['-o', 'IdentityFile=/a b/c', '-i', '/d', '-F/e']);
    expect(sshOptions('-i/x -oIdentityFile=/y')).toEqual({ identityFiles: ['/x', '/y'] });
  });

  test('deploy picks the key whose path has a space (it once picked the wrong one)', () => {
    const s = applyDefaults({ ...seed, ansible: { ...seed.ansible, ssh_common_args: args } });
    const files: Record<string, string> = {
      '/home/op/keys/edge key.pub': 'ssh-ed25519 AAAAright op@edge\n',
      '/home/op/keys/edge.pub': 'ssh-ed25519 AAAAwrong\n',
    };
    expect(controllerPublicKey(s, undefined, (p) => files[p]).key).toBe('ssh-ed25519 AAAAright op@edge');
  });

  test("the tunnel to oned carries the scenario's ssh options as separate words", () => {
    const s = applyDefaults({ ...seed, ansible: { ...seed.ansible, ssh_common_args: args } });
    const argv = tunnelArgv(s, 40000);
    expect(argv.slice(0, 6)).toEqual(['-F', '/home/op/my ssh/config', '-o', 'IdentityFile=/home/op/keys/edge key', '-o', "IdentityFile=/k/it's"]);
    expect(argv).toContain('-N');
  });
});
