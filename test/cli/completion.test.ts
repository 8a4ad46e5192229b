/**
 * Shell completion: the candidates (in-process), then the real bash function
 * sourced from `edge-wizard completion bash` and called as bash calls it on Tab
 * (COMP_WORDS/COMP_CWORD), through the built binary.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { complete, flagsOf, FILES } from '../../src/cli/completion.js';
import { commands } from '../../src/cli/main.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const scenario = `name: x\ningress: { name: gw, public_ip: 203.0.113.1 }\nfrontend: { name: fe, address: 10.0.1.2 }\nclusters:\n  - name: a\n    hosts: [{ name: kvm_a1, public_ip: 203.0.113.5 }, { name: kvm_a2, public_ip: 203.0.113.6 }]\n`;
const read = (p: string) => {
  if (p === 'edge-wizard.yaml' || p === 'mine.yaml') return scenario;
  throw new Error('ENOENT');
};

describe('completion candidates', () => {
  it("commands first, then a command's flags, choices, steps, files and the scenario's hosts", async () => {
    expect(await complete(['edge-wizard', ''], 1)).toEqual([...Object.keys(commands), 'help', 'completion']);
    expect(await complete(['edge-wizard', 'help', ''], 2)).toEqual(Object.keys(commands));
    expect(await complete(['edge-wizard', 'completion', ''], 2)).toEqual(['bash', 'zsh']);
    expect(await complete(['edge-wizard', 'generate', '--'], 2)).toEqual(['--file', '--out', '--into', '--dry-run', '--help', '--debug']);
    expect(await complete(['edge-wizard', 'generate', '-f', ''], 3)).toEqual([FILES]);
    expect(await complete(['edge-wizard', 'graph', '--format', ''], 3)).toEqual(['mermaid', 'dot']);
    expect(await complete(['edge-wizard', 'import', '--format', ''], 3)).toEqual(['oneprovision-6', 'oneprovision-7', 'ansible-inventory']);
    expect(await complete(['edge-wizard', 'deploy', '--only', ''], 3)).toContain('wireguard');
    expect(await complete(['edge-wizard', 'rotate-keys', '--host', ''], 3, read)).toEqual(['gw', 'fe', 'kvm_a1', 'kvm_a2']);
    expect(await complete(['edge-wizard', 'rotate-keys', '-f', 'mine.yaml', '--host', ''], 5, read)).toEqual(['gw', 'fe', 'kvm_a1', 'kvm_a2']);
    expect(await complete(['edge-wizard', 'lab', ''], 2)).toEqual(['up', 'down', 'status', 'reboot', 'cut', 'heal']);
    expect(await complete(['edge-wizard', 'lab', '--name', 'x', 'cut', ''], 5, read)).toEqual(['gw', 'fe', 'kvm_a1', 'kvm_a2']);
    expect(await complete(['edge-wizard', 'lab', 'up', ''], 3, read)).toEqual([]);
  });

  it('never fails: no scenario, a broken one, an unknown command', async () => {
    expect(
      await complete(['edge-wizard', 'rotate-keys', '--host', ''], 3, () => {
        throw new Error('ENOENT');
      }),
    ).toEqual([]);
    expect(await complete(['edge-wizard', 'rotate-keys', '--host', ''], 3, () => ': : [')).toEqual([]);
    expect(await complete(['edge-wizard', 'frobnicate', ''], 2)).toEqual([]);
  });

  it('reads flags from every help text', async () => {
    const { commandHelp } = await import('../../src/cli/main.js');
    for (const name of Object.keys(commands)) expect(flagsOf(await commandHelp(name)).has('--help')).toBe(true);
  });
});

const hasBuild = spawnSync('test', ['-f', join(ROOT, 'dist/cli/completion.js')]).status === 0;
(hasBuild ? describe : describe.skip)('the bash completion script in real bash', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ew-compl-'));
    writeFileSync(join(dir, 'edge-wizard'), `#!/bin/sh\nexec ${process.execPath} ${join(ROOT, 'bin/edge-wizard.js')} "$@"\n`);
    chmodSync(join(dir, 'edge-wizard'), 0o755);
    writeFileSync(join(dir, 'edge-wizard.yaml'), scenario);
    copyFileSync(join(ROOT, 'examples/seed-practical.yaml'), join(dir, 'seed.yaml'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const tab = (...words: string[]) => {
    const script = execFileSync(process.execPath, [join(ROOT, 'bin/edge-wizard.js'), 'completion', 'bash'], { encoding: 'utf8' });
    const words_ = words.map((w) => `'${w}'`).join(' ');
    const cmd = `${script}\nCOMP_WORDS=(${join(dir, 'edge-wizard')} ${words_}); COMP_CWORD=${words.length}; _edge_wizard; printf '%s\\n' "\${COMPREPLY[@]}"`;
    return execFileSync('bash', ['--norc', '--noprofile', '-c', cmd], { cwd: dir, encoding: 'utf8' }).trim().split('\n');
  };

  it('completes commands, flags, host names of the scenario and file names', () => {
    expect(tab('gen')).toEqual(['generate']);
    expect(tab('deploy', '--no')).toEqual(['--no-opennebula']);
    expect(tab('rotate-keys', '--host', 'kvm_a')).toEqual(['kvm_a1', 'kvm_a2']);
    expect(tab('rotate-keys', '-f', 'seed.yaml', '--host', 'kvm_n')).toEqual(['kvm_ncalifornia']);
    expect(tab('validate', '-f', 'se')).toEqual(['seed.yaml']);
  });
});
