/** SSH host keys of rebuilt hosts (core/host-keys.ts) and drift (core/drift.ts): the pure parts. */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { findDrift, parseMarks } from '../../src/core/drift.js';
import { hostKeyKind, hostKeyMessage, knownHostsName, parseHostKeyProblems, parseScanned, sshTarget } from '../../src/core/host-keys.js';
import { parseScenario } from '../../src/core/index.js';
import { renumbering } from '../../src/core/wireguard/addresses.js';

const seed = parseScenario(readFileSync(new URL('../../examples/seed-practical.yaml', import.meta.url), 'utf8'), 'seed.yaml').scenario;

describe('host keys', () => {
  test('host-facts lines name each host whose key changed or is unknown, once', () => {
    const out =
      'ok: [kvm_london] => {"msg": "EW_HOSTKEY|kvm_london|changed"}\nok: [ingress] => {"msg": "EW_HOSTKEY|ingress|unknown"}\n"msg": "EW_HOSTKEY|kvm_london|changed"';
    expect(parseHostKeyProblems(out)).toEqual([
      { host: 'kvm_london', kind: 'changed' },
      { host: 'ingress', kind: 'unknown' },
    ]);
    expect(parseHostKeyProblems('EW_HOST|kvm_london|direct|debian|12||Debian|8.4|')).toEqual([]);
  });

  test("ssh's own words tell a changed key from an unknown one", () => {
    expect(
      hostKeyKind('Failed to connect to the host via ssh: @@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@ ... Host key verification failed.'),
    ).toBe('changed');
    expect(hostKeyKind('Failed to connect to the host via ssh: Host key verification failed.')).toBe('unknown');
    expect(hostKeyKind('ssh: connect to host 203.0.113.9 port 22: Connection refused')).toBeUndefined();
  });

  test('one sentence per run, naming every host and the exact command', () => {
    const m = hostKeyMessage(
      [
        { host: 'kvm_london', kind: 'changed' },
        { host: 'kvm_ncalifornia', kind: 'unknown' },
      ],
      seed,
      'edge-wizard.yaml',
    );
    expect(m).toBe(
      "kvm_london's SSH host key changed since this controller last saw it (rebuilt?); kvm_ncalifornia's SSH host key is not known to this controller: nothing was changed on any host; if they were rebuilt, accept the new key, read through the frontend fe1, with: edge-wizard deploy -f edge-wizard.yaml --accept-new-host-key kvm_london,kvm_ncalifornia",
    );
  });

  test('targets and known_hosts names as ssh writes them; keys read through the frontend', () => {
    const k = sshTarget(seed, 'kvm_london')!;
    expect(k).toEqual({ name: 'kvm_london', address: seed.clusters[0]!.hosts[0]!.public_ip, port: 22 });
    expect(sshTarget(seed, 'fe1')).toBeUndefined();
    expect(knownHostsName({ address: '203.0.113.5', port: 22 })).toBe('203.0.113.5');
    expect(knownHostsName({ address: '203.0.113.5', port: 2222 })).toBe('[203.0.113.5]:2222');
    const scanned = parseScanned('ok: [fe1] => (item=kvm_london) => {"msg": "EW_SCANNED|kvm_london|203.0.113.5 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAbc+/="}');
    expect(scanned.get('kvm_london')).toBe('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAbc+/=');
  });
});

describe('drift', () => {
  const marks = (over: Record<string, string> = {}) =>
    parseMarks(
      Object.entries({ host_key: 'ssh-ed25519 AAA', wg_conf: 'a1', frr_conf: 'b2', frr_running: 'c3', firewall: 'd4', reject_rule: '0', ...over })
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
    )!;

  test('each digest that differs is named with the step that repairs it; a rebuilt host is one drift', () => {
    const was = { h1: marks(), h2: marks() };
    expect(findDrift({ h1: marks(), h2: marks() }, was)).toEqual([]);
    expect(findDrift({ h1: marks({ firewall: 'zz', reject_rule: '1' }), h2: marks({ wg_conf: 'absent' }) }, was)).toEqual([
      { host: 'h1', steps: ['firewall'], detail: 'the INPUT firewall rules on h1 changed since the last deploy (the AWS REJECT rule is back)' },
      { host: 'h2', steps: ['wireguard'], detail: 'the WireGuard configuration (wg0.conf) on h2 changed since the last deploy (the file is gone)' },
    ]);
    expect(findDrift({ h1: marks({ host_key: 'ssh-ed25519 BBB', wg_conf: 'x' }) }, was)).toEqual([
      { host: 'h1', steps: ['all'], detail: 'h1 is not the machine the last deploy configured (its SSH host key differs): rebuilt?' },
    ]);
    // Nothing recorded, or a host not read now: no drift (verify's other checks speak).
    expect(findDrift({ h1: marks({ wg_conf: 'x' }) }, undefined)).toEqual([]);
    expect(findDrift({ h3: marks() }, was)).toEqual([]);
  });
});

describe('renumbering', () => {
  test('a previous address outside wireguard.subnet is a renumbering; inside it is not', () => {
    expect(renumbering(seed, { ingress: '192.168.0.1', kvm_london: '192.168.0.2' })).toBeUndefined();
    expect(renumbering({ ...seed, wireguard: { ...seed.wireguard, subnet: '10.77.0.0/24' } }, { ingress: '192.168.0.1' })).toEqual({
      host: 'ingress',
      from: '192.168.0.1',
    });
  });
});
