/**
 * The virtual networks: each cluster's public network (oneprovision made it; found by name) and
 * the EVPN networks (by name, else by marker when renamed by hand; made when absent, never on
 * addresses another VXLAN network holds), all added to the cluster.
 */
import { VNET_ERROR, VNET_STATE } from '../state.js';
import { findOwn, markerTemplate, overlapping, markStep, renamedWarning, ROLE, vnOneTemplate } from '../objects.js';
import { renderTemplate } from '../template.js';
import { clusterRef, inCluster, type ObjectPlanner } from './planner.js';

export const publicNetworks: ObjectPlanner = {
  object: 'public networks',
  find: ({ s, state, found, problems }) => {
    found.publics = s.clusters.map((c, ci) => {
      const vn = state.vnets.find((v) => v.name === c.public_network.name);
      if (!vn)
        problems.push(
          `clusters[${ci}].public_network.name is "${c.public_network.name}", but oned has no virtual network of that name: set it to the public network oneprovision created for "${c.name}".`,
        );
      return { cluster: c, vn };
    });
  },
  plan: ({ found, steps }) => {
    for (const { cluster: c, vn } of found.publics) {
      if (!vn || inCluster(found, 'vnets', vn.id)) continue;
      steps.push({
        method: 'one.cluster.addvnet',
        args: [clusterRef(), vn.id],
        title: `Add public network ${vn.name} (ID ${vn.id}) of ${c.name} to cluster ${found.clusterLabel}`,
      });
    }
  },
};

export const evpnNetworks: ObjectPlanner = {
  object: 'EVPN networks',
  find: ({ s, state, found, problems }) => {
    found.networks = s.networks.map((n, i) => {
      const f = findOwn(state.vnets, s, n.name, ROLE.network(n.name));
      if (!f.obj) {
        const clash = overlapping(state, s, n);
        if (clash) {
          problems.push(
            `networks[${i}] (${n.name}, ${n.ar_size} addresses from ${n.ar_start}) overlaps the virtual network "${clash.name}" (ID ${clash.id}), a VXLAN network on ${clash.phydev ?? s.wireguard.interface} that edge-wizard does not know as this one: if it is ${n.name} renamed by hand, rename it back ("onevnet rename ${clash.id} ${n.name}"); otherwise change networks[${i}].ar_start or remove that network, then run again.`,
          );
        }
      }
      return { n, found: f.obj, renamed: f.renamed };
    });
    // Every network the cluster will hold, the public ones first: one whose driver failed is unusable.
    for (const vn of [...found.publics.map((p) => p.vn), ...found.networks.map((x) => x.found)]) {
      if (vn?.state === VNET_ERROR)
        problems.push(
          `The virtual network ${vn.name} (ID ${vn.id}) is in ${VNET_STATE[vn.state]} (its driver's vnet_create failed): fix it (onevnet recover ${vn.id}) or delete it, then run again.`,
        );
    }
  },
  // One VNET per network; the first is bound as `evpn` (the Virtual Router's eth1).
  plan: ({ s, found, steps, known, warnings }) => {
    found.networks.forEach(({ n, found: evpn, renamed }, i) => {
      const bind = i === 0 ? 'evpn' : `evpn${i}`;
      if (evpn) {
        known[bind] = evpn.id;
        if (renamed) warnings.push(renamedWarning('virtual network', 'onevnet', n.name, evpn));
        if (!evpn.marker) steps.push(markStep(s, ROLE.network(n.name), 'one.vn.update', 'EVPN network', evpn));
        if (!inCluster(found, 'vnets', evpn.id))
          steps.push({
            method: 'one.cluster.addvnet',
            args: [clusterRef(), evpn.id],
            title: `Add EVPN network ${evpn.name} (ID ${evpn.id}) to cluster ${found.clusterLabel}`,
          });
      } else {
        const tpl = [...vnOneTemplate(s, n), ...markerTemplate(s, ROLE.network(n.name))];
        steps.push({
          method: 'one.vn.allocate',
          args: [renderTemplate(tpl), clusterRef()],
          title: `Create EVPN network ${n.name} in cluster ${found.clusterLabel}`,
          bind,
        });
      }
    });
  },
};
