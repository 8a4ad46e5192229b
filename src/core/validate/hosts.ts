/** The hosts: how many the topology plans, the clusters and their KVM hosts, the frontend's address, every host's name. */
import { topologyOf } from '../wireguard/topologies/index.js';
import type { Section } from './section.js';

/** Inventory groups: a host named like one is ambiguous in Ansible's host patterns. */
export const GROUP_NAMES = ['all', 'ungrouped', 'router', 'frontend', 'edge_frontend', 'node'] as const;

/** Past the topology's limit everything else grows with the number of hosts: one sentence is enough. */
export const fleetSize: Section = ({ s, kvms, err }) => {
  const t = topologyOf(s);
  if (kvms.length <= t.maxKvmHosts) return;
  err('clusters', t.tooManyHosts(kvms.length));
  return 'stop';
};

export const hosts: Section = ({ s, err }) => {
  if (s.clusters.length === 0) err('clusters', 'clusters is empty: add at least one edge cluster with its KVM hosts.');
  s.clusters.forEach((c, ci) => {
    if (c.hosts.length === 0) err(`clusters[${ci}].hosts`, `clusters[${ci}].hosts (cluster ${c.name}) is empty: add its KVM hosts or remove the cluster.`);
  });
  if (!s.frontend.address)
    err('frontend.address', "frontend.address is missing: add the OpenNebula frontend's address (one-deploy's roles read the frontend group).");

  const names = new Map<string, string>();
  const claimName = (name: string, field: string) => {
    if ((GROUP_NAMES as readonly string[]).includes(name)) err(field, `${field} "${name}" is also the name of an inventory group: give the host another name.`);
    // Ansible's `delegate_to: localhost` (and `hosts: localhost`) would pick this host instead of the controller.
    else if (/^localhost$/i.test(name))
      err(
        field,
        `${field} "${name}" is the name Ansible gives the controller itself (delegate_to: localhost would go to this host): give the host another name.`,
      );
    const prev = names.get(name);
    if (prev) err(field, `${field} "${name}" is already used by ${prev}: give every host a different name.`);
    else names.set(name, field);
  };
  claimName(s.ingress.name, 'ingress.name');
  claimName(s.frontend.name, 'frontend.name');
  const clusterNames = new Set<string>();
  s.clusters.forEach((c, ci) => {
    if (clusterNames.has(c.name))
      err(`clusters[${ci}].name`, `clusters[${ci}].name "${c.name}" is used by another cluster: give every cluster a different name.`);
    clusterNames.add(c.name);
    c.hosts.forEach((h, hi) => claimName(h.name, `clusters[${ci}].hosts[${hi}].name`));
  });
};
