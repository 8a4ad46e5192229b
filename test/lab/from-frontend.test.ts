/**
 * `import --from-frontend` against the lab's frontend, over the scenario's real SSH path
 * (the controller -> ProxyJump through the ingress -> fe1, as root, then runuser to
 * oneadmin). fe1 runs no OpenNebula: fake `oneprovision` and `onehost` commands there
 * print the real formats (test/import/frontend-fakes.ts, from the fixtures' sources) and
 * log who ran what. Checks: the scenario loses the cluster no provision holds and gains
 * the new one (6.x, then 7.2+ documents), every command ran as oneadmin and was a read,
 * and nothing on fe1 was written by the import.
 *
 * Isolation: lab "ew26ff" under its own state directory, driven from the controller
 * namespace ew26ff-ctl; both removed in afterAll.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScenario } from '../../src/core/index.js';
import { runImport, type ImportDeps } from '../../src/cli/commands/import.js';
import { controllerNamespace } from '../../src/lab/controller.js';
import { labPaths } from '../../src/lab/files.js';
import { labDown, labUp, readLabSource } from '../../src/lab/lab.js';
import { labSuite } from '../support/lab-suite.js';
import { frontend6, frontend7, type FrontendOutputs } from '../import/frontend-fakes.js';

const { runs, why, suite } = labSuite('lab import --from-frontend test');
const NAME = 'ew26ff';
const ctl = controllerNamespace(`${NAME}-ctl`);
const stateRoot = runs ? mkdtempSync(join(tmpdir(), `ew-${NAME}-`)) : '/nonexistent';
const paths = labPaths(NAME, stateRoot);

const SCENARIO = `name: ff
opennebula: { version: '6.8', password: { env: ONE_PASS } }
frontend: { name: fe1, address: 10.0.1.87, proxy_jump: ingress }
ingress: { name: ingress, public_ip: 203.0.113.10 }
clusters:
  - name: london
    public_network: { name: london-public, ips: [203.0.113.30] }
    hosts: [{ name: kvm_london, public_ip: 203.0.113.21 }]
  - name: tokyo # gone from the frontend
    public_network: { name: tokyo-public, ips: [198.51.100.30] }
    hosts: [{ name: kvm_tokyo, public_ip: 198.51.100.21 }]
ansible: { repos_enabled: [] }
`;

if (!runs) {
  describe('import --from-frontend on the lab', () => {
    test.skip(`SKIPPED: ${why}`, () => undefined);
  });
}

const sink = () => {
  const chunks: string[] = [];
  return { w: { write: (s: string) => (chunks.push(String(s)), true) } as unknown as NodeJS.WritableStream, text: () => chunks.join('') };
};

/** Runs a shell script on the frontend through the lab's ssh config (the test's own setup and checks, not the import). */
async function onFrontend(script: string): Promise<string> {
  const r = await ctl.exec('ssh', ['-F', paths.sshConfig, 'fe1', 'sh -s'], { input: script, timeout: 60_000 });
  if (r.exitCode !== 0) throw new Error(`on fe1: exit ${r.exitCode}: ${r.stderr}`);
  return r.stdout;
}

/** Fake oneprovision/onehost on fe1 printing these outputs, logging "user command" to /tmp/ew-fake.log. */
function installFakes(outputs: FrontendOutputs): string {
  const files = Object.entries(outputs).map(
    ([cmd, text]) => `echo ${Buffer.from(text).toString('base64')} | base64 -d > /usr/local/lib/ew-fake/${cmd.replace(/ /g, '_')}`,
  );
  const fake = `#!/bin/sh\necho "$(id -un) $(basename "$0") $*" >> /tmp/ew-fake.log\nf="/usr/local/lib/ew-fake/$(basename "$0")_$(echo "$*" | tr ' ' '_')"\n[ -f "$f" ] || { echo "no such fake: $f" >&2; exit 1; }\ncat "$f"\n`;
  return [
    'set -e',
    'rm -rf /usr/local/lib/ew-fake && mkdir -p /usr/local/lib/ew-fake',
    ...files,
    `echo ${Buffer.from(fake).toString('base64')} | base64 -d > /usr/local/bin/oneprovision`,
    'cp /usr/local/bin/oneprovision /usr/local/bin/onehost',
    'chmod 755 /usr/local/bin/oneprovision /usr/local/bin/onehost',
    'chmod -R a+rX /usr/local/lib/ew-fake',
    'rm -f /tmp/ew-fake.log; touch /tmp/ew-fake.log; chmod 666 /tmp/ew-fake.log',
    'sleep 1; touch /tmp/ew-marker',
  ].join('\n');
}

/** Regular files written on fe1 since the marker, outside the kernel's, the logs' and the fake's own places. */
const WRITTEN =
  'find / -xdev \\( -path /proc -o -path /sys -o -path /run -o -path /tmp -o -path /var/log -o -path /dev \\) -prune -o -type f -newer /tmp/ew-marker -print';

async function importFromFrontend(file: string): Promise<{ code: number; out: string; err: string }> {
  const out = sink();
  const err = sink();
  const deps: ImportDeps = {
    exec: ctl.exec,
    prompt: async () => {
      throw new Error('no prompt expected');
    },
    interactive: false,
    deploy: async () => 1,
  };
  const code = await runImport(['-f', file, '--from-frontend', '--yes'], { out: out.w, err: err.w, debug: false }, deps);
  return { code, out: out.text(), err: err.text() };
}

suite('import --from-frontend against the lab frontend (root, real sshd, ProxyJump)', () => {
  let labFile: string;

  beforeAll(async () => {
    await ctl.open();
    const src = join(stateRoot, 'scenario.yaml');
    writeFileSync(src, SCENARIO);
    const started = Date.now();
    await labUp({ name: NAME, stateRoot, scenario: await readLabSource(src) }, ctl.labDeps);
    console.log(`lab up ${((Date.now() - started) / 1000).toFixed(1)} s`);
    labFile = paths.scenario;
  }, 900_000);

  afterAll(async () => {
    await labDown({ name: NAME, stateRoot, purge: true }, ctl.labDeps).catch((e) => console.warn(`lab down: ${(e as Error).message}`));
    await ctl.close();
    rmSync(stateRoot, { recursive: true, force: true });
  }, 300_000);

  for (const [version, make] of [
    ['6.x', frontend6],
    ['7.2+', frontend7],
  ] as const) {
    test(`OpenNebula ${version}: tokyo deleted, osaka added, the rest kept; reads only, as oneadmin`, async () => {
      const lab = parseScenario(readFileSync(labFile, 'utf8')).scenario;
      const london = lab.clusters.find((c) => c.name === 'london')!.hosts[0]!.public_ip;
      await onFrontend(
        installFakes(
          make([
            { id: 7, name: 'london', hosts: [{ id: 3, ip: london }] },
            {
              id: 12,
              name: 'osaka',
              hosts: [
                { id: 20, ip: '198.18.7.21' },
                { id: 21, ip: '198.18.7.22' },
              ],
            },
          ]),
        ),
      );
      const file = join(stateRoot, `import-${version}.yaml`);
      copyFileSync(labFile, file);
      const started = Date.now();
      const r = await importFromFrontend(file);
      console.log(`import --from-frontend (${version}) ${((Date.now() - started) / 1000).toFixed(1)} s\n${r.out}${r.err}`);
      expect(r.code).toBe(0);
      const s = parseScenario(readFileSync(file, 'utf8')).scenario;
      expect(s.clusters.map((c) => [c.name, c.hosts.map((h) => `${h.name} ${h.public_ip}`)])).toEqual([
        ['london', [`kvm_london ${london}`]],
        ['osaka', ['kvm_osaka_1 198.18.7.21', 'kvm_osaka_2 198.18.7.22']],
      ]);
      const log = (await onFrontend('cat /tmp/ew-fake.log')).trim().split('\n');
      expect(log).toEqual([
        'oneadmin oneprovision list --json',
        'oneadmin onehost list --json',
        'oneadmin oneprovision show 7 --json',
        'oneadmin oneprovision show 12 --json',
      ]);
      const written = (await onFrontend(WRITTEN)).trim();
      console.log(`files written on fe1 during the import (outside /proc /sys /run /tmp /var/log /dev): ${written || 'none'}`);
      expect(written).toBe('');
    }, 180_000);
  }

  test('an unreachable frontend (wrong address) is one sentence, exit 1, the file untouched', async () => {
    const file = join(stateRoot, 'unreachable.yaml');
    writeFileSync(file, readFileSync(labFile, 'utf8').replace(/address: 10\.0\.1\.87/, 'address: 10.0.1.99'));
    const before = readFileSync(file, 'utf8');
    await expect(importFromFrontend(file)).rejects.toThrow(
      /^Could not run oneprovision on the frontend root@10\.0\.1\.99 through root@.*: check frontend\.address/,
    );
    expect(readFileSync(file, 'utf8')).toBe(before);
  }, 120_000);
});
