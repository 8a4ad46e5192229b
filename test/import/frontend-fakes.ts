/**
 * What a frontend prints, built from the fixtures' real formats (test/fixtures/oneprovision-6,
 * oneprovision-7): `oneprovision list --json`, `oneprovision show ID --json` and
 * `onehost list --json` for provisions of our choosing (ID, name, host IDs and public IPs),
 * by replacing those values in the fixture documents. Used by the fake ssh of the unit
 * tests, the tmux session and the lab test (as the fake commands' output on fe1).
 */
import { readFileSync } from 'node:fs';

const fixture = (p: string) => JSON.parse(readFileSync(new URL(`../fixtures/${p}`, import.meta.url), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface FakeProvision {
  id: number;
  name: string;
  hosts: Array<{ id: number; ip: string }>;
}

/** The outputs of one frontend: command line -> stdout. */
export type FrontendOutputs = Record<string, string>;

/** OpenNebula 6.x: list (DOCUMENT_POOL, BODY a JSON string as list_pool prints it), show per provision, onehost list. */
export function frontend6(provisions: FakeProvision[]): FrontendOutputs {
  const base = fixture('oneprovision-6/show-7.json');
  const hostBase = fixture('oneprovision-6/onehost-list.json').HOST_POOL.HOST[0];
  const out: FrontendOutputs = {};
  const docs = provisions.map((p) => {
    const d = structuredClone(base);
    d.DOCUMENT.ID = String(p.id);
    d.DOCUMENT.NAME = p.name;
    const body = d.DOCUMENT.TEMPLATE.BODY;
    body.name = p.name;
    body.provision.infrastructure.hosts = p.hosts.map((h) => ({ id: h.id, name: h.ip }));
    body.provision.infrastructure.clusters = [{ id: 100 + p.id, name: p.name }];
    body.provision.infrastructure.networks = [{ id: 10 + p.id, name: `${p.name}-public` }];
    out[`oneprovision show ${p.id} --json`] = JSON.stringify(d, null, 4);
    return { ...d.DOCUMENT, TEMPLATE: { BODY: JSON.stringify(body) } };
  });
  out['oneprovision list --json'] = JSON.stringify({ DOCUMENT_POOL: docs.length === 0 ? {} : { DOCUMENT: docs.length === 1 ? docs[0] : docs } }, null, 4);
  const hosts = provisions.flatMap((p) =>
    p.hosts.map((h) => {
      const x = structuredClone(hostBase);
      x.ID = String(h.id);
      x.NAME = h.ip;
      x.CLUSTER = p.name;
      x.TEMPLATE.PROVISION.ID = String(p.id);
      return x;
    }),
  );
  out['onehost list --json'] = JSON.stringify({ HOST_POOL: { HOST: hosts } }, null, 4);
  return out;
}

/** OpenNebula 7.2+: show per provision (OneForm document, unwrapped), list as a list of documents. */
export function frontend7(provisions: FakeProvision[]): FrontendOutputs {
  const base = fixture('oneprovision-7/show-5.json');
  const out: FrontendOutputs = {};
  const docs = provisions.map((p) => {
    const d = structuredClone(base);
    d.ID = String(p.id);
    d.NAME = p.name;
    d.TEMPLATE.PROVISION_BODY.name = p.name;
    d.TEMPLATE.PROVISION_BODY.one_objects.hosts = p.hosts.map((h) => ({ id: h.id, resource_id: `i-${h.id}`, name: h.ip }));
    out[`oneprovision show ${p.id} --json`] = JSON.stringify(d, null, 2);
    return d;
  });
  out['oneprovision list --json'] = JSON.stringify(docs, null, 2);
  out['onehost list --json'] = JSON.stringify({ HOST_POOL: {} });
  return out;
}

/**
 * A fake `ssh` for an Exec: reads the commands out of the remote script
 * (adapters/frontend.ts remoteScript) and answers each as the frontend would,
 * with the script's end markers. Records every remote script.
 */
export function fakeSsh(outputs: FrontendOutputs, opts: { unreachable?: boolean } = {}) {
  const scripts: string[] = [];
  const argvs: string[][] = [];
  const exec = async (file: string, args: readonly string[]) => {
    if (file !== 'ssh') throw new Error(`unexpected ${file}`);
    argvs.push([...args]);
    const script = args[args.length - 1]!;
    scripts.push(script);
    if (opts.unreachable) return { exitCode: 255, stdout: '', stderr: 'ssh: connect to host 10.0.1.87 port 22: Connection refused\n', durationMs: 1 };
    const cmds = [...script.matchAll(/then ([a-z]+ (?:list|show [0-9]+) --json); elif/g)].map((m) => m[1]!);
    const stdout = cmds.map((c) => (c in outputs ? `${outputs[c]}\n\n__edge_wizard_end__ 0\n` : `\n__edge_wizard_end__ 255\n`)).join('');
    return { exitCode: 0, stdout, stderr: '', durationMs: 1 };
  };
  return { exec, scripts, argvs };
}
