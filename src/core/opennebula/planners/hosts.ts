/** The KVM hosts: each an OpenNebula host (oneprovision names them by public IP; the inventory name is accepted too), moved into the cluster. */
import { inCluster, clusterRef, type ObjectPlanner } from './planner.js';

export const hosts: ObjectPlanner = {
  object: 'hosts',
  find: ({ s, state, found, problems }) => {
    found.hosts = s.clusters.flatMap((c, ci) =>
      c.hosts.map((h, hi) => {
        const one = state.hosts.find((x) => x.name === h.public_ip) ?? state.hosts.find((x) => x.name === h.name);
        if (!one) {
          problems.push(
            `clusters[${ci}].hosts[${hi}] (${h.name}, ${h.public_ip}) is not an OpenNebula host: provision it (oneprovision) or add it with "onehost create ${h.public_ip}", then run again.`,
          );
        }
        return { host: h, cluster: c.name, one };
      }),
    );
    found.provisionIds = new Set(found.hosts.flatMap((h) => (h.one?.provision_id ? [h.one.provision_id] : [])));
  },
  plan: ({ state, found, steps, warnings }) => {
    const clusterLabel = found.clusterLabel;
    const moving = found.hosts.filter(({ one }) => one && !inCluster(found, 'hosts', one.id) && one.cluster_id >= 0 && one.cluster !== clusterLabel);
    if (moving.length) {
      // Once, for all of them: the consequence is the same (docs/opennebula.md, "Hosts leave their provision's cluster").
      const from = [...new Set(moving.map(({ one }) => `"${one!.cluster}"`))].join(', ');
      warnings.push(
        `${moving.map(({ host, one }) => `${host.name} (${one!.name})`).join(', ')} move${moving.length === 1 ? 's' : ''} from cluster ${from} to "${clusterLabel}" (a host belongs to one cluster only): hosts "oneprovision host add" makes later land in the provision's cluster, not in "${clusterLabel}"; edge-wizard one names them when it sees them.`,
      );
    }
    for (const { host, one } of found.hosts) {
      if (!one || inCluster(found, 'hosts', one.id)) continue;
      steps.push({
        method: 'one.cluster.addhost',
        args: [clusterRef(), one.id],
        title: `Add host ${host.name} (${one.name}, ID ${one.id}) to cluster ${clusterLabel}`,
      });
    }
    // Hosts of the scenario's provisions that the scenario does not list: added by oneprovision after the move.
    const cluster = found.cluster;
    if (cluster) {
      const mine = new Set(found.hosts.flatMap((h) => (h.one ? [h.one.id] : [])));
      for (const h of state.hosts) {
        if (mine.has(h.id) || !h.provision_id || !found.provisionIds.has(h.provision_id) || h.cluster_id === cluster.id) continue;
        warnings.push(
          `Host ${h.name} (ID ${h.id}) of provision ${h.provision_id} is in cluster "${h.cluster}", not in "${clusterLabel}", and not in the scenario (added by "oneprovision host add" after its hosts moved): add it to the scenario with edge-wizard import, run edge-wizard deploy, then edge-wizard one moves it.`,
        );
      }
    }
  },
};
