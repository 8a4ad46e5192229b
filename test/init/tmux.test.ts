/**
 * The real binary in a real pseudo-terminal (tmux): a whole session that creates
 * the seed's practical scenario, then a second one that adds a third KVM host
 * (picked from an ssh config alias) to an existing cluster. Both files must pass
 * `edge-wizard validate` and `edge-wizard generate`. Needs `npx tsc -p tsconfig.json` first.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScenario } from '../../src/core/index.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/edge-wizard.js');
const SESSION = `ew-init-${process.pid}`;
const hasTmux = spawnSync('tmux', ['-V']).status === 0 && existsSync(join(ROOT, 'dist/cli/commands/init.js'));
const maybe = hasTmux ? describe : describe.skip;

const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const pane = () => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', SESSION);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Prompt lines answered so far (inquirer prints "✔ question answer"). */
const answered = (text: string) => text.split('\n').filter((l) => l.startsWith('✔ ')).length;
/** The question being asked now: the last "? " line. */
const current = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('? '))
    .pop() ?? '';

async function waitFor(pred: (text: string) => boolean, what: string, timeout = 8000): Promise<string> {
  const end = Date.now() + timeout;
  for (;;) {
    const text = pane();
    if (pred(text)) return text;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; the terminal shows:\n${text}`);
    await sleep(40);
  }
}

/** A session driver: each step waits for its question (after the previous answers), then types. */
function driver() {
  let done = 0;
  const transcript: string[] = [];
  return {
    async answer(question: string, keys: string | null, opts: { select?: boolean } = {}) {
      await waitFor((t) => answered(t) === done && current(t).includes(question), `"${question}"`);
      if (keys) tmux('send-keys', '-t', SESSION, '-l', keys);
      if (opts.select && keys) await sleep(60);
      tmux('send-keys', '-t', SESSION, 'Enter');
      done++;
    },
    /** Types a wrong answer, expects the sentence, clears the line. */
    async refused(question: string, keys: string, sentence: string) {
      await waitFor((t) => answered(t) === done && current(t).includes(question), `"${question}"`);
      tmux('send-keys', '-t', SESSION, '-l', keys);
      tmux('send-keys', '-t', SESSION, 'Enter');
      await waitFor((t) => t.includes(sentence), `the refusal "${sentence}"`);
      tmux('send-keys', '-t', SESSION, 'C-u');
    },
    async end(): Promise<string> {
      const text = await waitFor((t) => /EXIT=\d+/.test(t), 'the end of the session', 20000);
      transcript.push(text);
      return text;
    },
  };
}

function start(dir: string, args: string) {
  spawnSync('tmux', ['kill-session', '-t', SESSION]);
  tmux('new-session', '-d', '-s', SESSION, '-x', '200', '-y', '50', '-c', dir, `env -u CI HOME=${dir} node ${BIN} ${args}; echo EXIT=$?; sleep 300`);
}

function cli(dir: string, ...args: string[]) {
  return spawnSync('node', [BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, HOME: dir } });
}

maybe('init in a real terminal (tmux)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ew-init-'));
  });
  afterAll(() => {
    spawnSync('tmux', ['kill-session', '-t', SESSION]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the seed practical scenario, then adds a third KVM host to london', async () => {
    start(dir, 'init');
    const s = driver();
    await s.answer('Scenario name', 'seed-practical');
    await s.answer('OpenNebula version', null);
    await s.answer('where should it come from?', '3', { select: true });
    await s.answer('oneadmin password', 'opennebula');
    await s.answer('Ingress host name', null);
    await s.refused('Public IP of the ingress', '13.58.199', 'ingress.public_ip "13.58.199" is not a valid IP address: write it like 203.0.113.10.');
    await s.answer('Public IP of the ingress', '13.58.199.98');
    await s.answer('SSH user on the ingress', null);
    await s.answer('SSH port of the ingress', null);
    await s.answer('OpenNebula frontend host name', null);
    await s.answer('Frontend address', '10.0.1.87');
    await s.answer('Control subnet', null);
    await s.answer('How does Ansible reach the frontend?', '3', { select: true });
    await s.answer('ProxyJump to the frontend', 'root@ec2-13-58-199-98.us-east-2.compute.amazonaws.com');
    for (const [name, region, ips, host, ip, more] of [
      ['london', 'eu-west-2', '203.0.113.10, 203.0.113.11', 'kvm_london', '18.134.246.200', '1'],
      ['ncalifornia', 'us-west-1', '198.51.100.10', 'kvm_ncalifornia', '18.144.25.41', null],
    ] as const) {
      await s.answer('Edge clusters', more === '1' ? null : '1', { select: true }); // Add an edge cluster
      await s.answer('Edge cluster name', name);
      await s.answer('Provider', null);
      await s.answer('Region', region);
      await s.answer('Name of its public network', null);
      await s.answer('Its public IPs', ips);
      await s.answer('KVM hosts of this cluster', null); // Add a KVM host
      await s.answer('KVM host name', host);
      await s.answer(`Public IP of ${host}`, ip);
      await s.answer('SSH user', null);
      await s.answer('SSH port', null);
      await s.answer("Remove oneprovision's AWS REJECT rule", null);
      await s.answer('Its public interface', 'enp125s0');
      await s.answer('KVM hosts of this cluster', null); // Done
    }
    await s.answer('Edge clusters', null); // Done
    await s.refused('WireGuard subnet', '\x15172.17.2.0/24', '> wireguard.subnet 172.17.2.0/24 overlaps');
    await s.answer('WireGuard subnet', null);
    await s.answer('WireGuard port', null);
    await s.answer('WireGuard MTU', null);
    for (const q of ['EVPN virtual network name', 'EVPN network', 'First lease', 'Number of leases', 'Gateway', 'DNS', 'Guest MTU']) await s.answer(q, null);
    await s.answer('Create the Virtual Router', null);
    await s.answer('Enable SDNAT', null);
    await s.answer('Which cluster gives it its public IP?', null);
    await s.answer('Advanced settings', null); // No: a first-time user answers only the seed's questions
    await s.answer('Write edge-wizard.yaml?', null);
    await s.answer('Generate the inventory', null);
    await s.answer('Deploy now', null);
    const first = await s.end();
    expect(first).toContain('EXIT=0');
    expect(first).toMatch(/kvm_ncalifornia\s+18\.144\.25\.41\s+wg 192\.168\.0\.3\/24/);
    expect(first).not.toMatch(/password.*opennebula/);

    const seed = parseScenario(readFileSync(join(ROOT, 'examples/seed-practical.yaml'), 'utf8')).scenario;
    const one = readFileSync(join(dir, 'edge-wizard.yaml'), 'utf8');
    expect(parseScenario(one).scenario).toEqual(seed);
    expect(cli(dir, 'validate').status).toBe(0);
    expect(cli(dir, 'generate').status).toBe(0);
    const hostVarsBefore = readFileSync(join(dir, 'inventories/seed-practical/host_vars/kvm_ncalifornia.yml'), 'utf8');

    // Second session: a third host for london, picked from an ssh config alias.
    writeFileSync(
      join(dir, 'ssh_config'),
      `Host london3\n  HostName 18.134.246.201\n  User root\n  IdentityFile ~/.ssh/edge_key\n\nHost *\n  ServerAliveInterval 30\n`,
    );
    writeFileSync(join(dir, 'edge-wizard.yaml'), one.replace('name: seed-practical', 'name: seed-practical  # hand-written comment'));
    start(dir, '-F ssh_config');
    const t = driver();
    await t.answer('What do you want to change?', '1', { select: true });
    await t.answer('Edge clusters', '2', { select: true }); // Add a KVM host to london
    await t.answer('Pick the KVM host from your ssh config', '2', { select: true });
    await t.answer('KVM host name', null);
    await t.answer('Public IP of london3', null);
    await t.answer('SSH user', null);
    await t.answer('SSH port', null);
    await t.answer("Remove oneprovision's AWS REJECT rule", null);
    await t.answer('Its public interface', null);
    await t.answer('Edge clusters', null); // Done
    await t.answer('What do you want to change?', null); // review
    await t.answer('Write edge-wizard.yaml?', null);
    await t.answer('Generate the inventory', null);
    await t.answer('Deploy now', null);
    const second = await t.end();
    expect(second).toContain('EXIT=0');
    if (process.env.EW_TRANSCRIPT) writeFileSync(process.env.EW_TRANSCRIPT, `${first}\n----\n${second}`); // for docs/wizard.md

    const two = readFileSync(join(dir, 'edge-wizard.yaml'), 'utf8');
    expect(two).toContain('# hand-written comment');
    const s2 = parseScenario(two).scenario;
    expect(s2.clusters[0]!.hosts.map((h) => [h.name, h.public_ip, h.public_interface])).toEqual([
      ['kvm_london', '18.134.246.200', 'enp125s0'],
      ['london3', '18.134.246.201', 'enp125s0'],
    ]);
    expect(s2.ansible.ssh_common_args).toBe(`-F ${join(dir, 'ssh_config')} -o IdentityFile=${join(dir, '.ssh/edge_key')}`);
    expect(cli(dir, 'validate').status).toBe(0);
    expect(cli(dir, 'generate').status).toBe(0);
    // The existing hosts keep their WireGuard addresses; the new one takes the next free.
    expect(readFileSync(join(dir, 'inventories/seed-practical/host_vars/kvm_ncalifornia.yml'), 'utf8').match(/wireguard_address: .*/)![0]).toBe(
      hostVarsBefore.match(/wireguard_address: .*/)![0],
    );
    expect(readFileSync(join(dir, 'inventories/seed-practical/host_vars/london3.yml'), 'utf8')).toContain('wireguard_address: 192.168.0.4/24');
  }, 60000);
});
