import { readFileSync } from 'node:fs';
import { parseScenario } from '../../src/core/index.js';
import { runInit } from '../../src/cli/commands/init.js';
import { fakeDeps, fakePrompt, type Answers } from './fake.js';

const SEED = readFileSync(new URL('../../examples/seed-practical.yaml', import.meta.url), 'utf8');
const seedScenario = () => parseScenario(SEED, 'seed').scenario;

/** The answers that build the seed's practical scenario from nothing (Enter everywhere else). */
export const seedAnswers: Answers = {
  name: 'seed-practical',
  'opennebula.password_kind': 'plain',
  'opennebula.password': 'opennebula',
  'ingress.public_ip': '13.58.199.98',
  'frontend.address': '10.0.1.87',
  'frontend.reach': 'custom',
  'frontend.proxy_jump': 'root@ec2-13-58-199-98.us-east-2.compute.amazonaws.com',
  'clusters.action': ['add', 'add', 'done'],
  'cluster.name': ['london', 'ncalifornia'],
  'cluster.region': ['eu-west-2', 'us-west-1'],
  'cluster.public_network.ips': ['203.0.113.10, 203.0.113.11', '198.51.100.10'],
  'hosts.action': ['add', 'done', 'add', 'done'],
  'host.name': ['kvm_london', 'kvm_ncalifornia'],
  'host.public_ip': ['18.134.246.200', '18.144.25.41'],
  'host.public_interface': ['enp125s0', 'enp125s0'],
  generate: false,
};

describe('init: a new scenario from nothing', () => {
  it('builds the seed practical scenario from answers given by name', async () => {
    const deps = fakeDeps(fakePrompt(seedAnswers));
    expect(await runInit({}, deps)).toBe(0);
    const written = deps.fs.files.get('edge-wizard.yaml')!;
    expect(parseScenario(written.content).scenario).toEqual(seedScenario());
    expect(written.mode).toBe(0o600); // plain password
    expect(deps.output()).not.toContain('opennebula\n');
    expect(deps.output()).toContain('oneadmin password (set');
    expect(deps.output()).toMatch(/kvm_london\s+18\.134\.246\.200\s+wg 192\.168\.0\.2\/24/);
  });
});
