/** The image and system datastores of datastores.mode, from the scenario's own provisions (objects.ts ownDatastores), added to the cluster. */
import { listIds, ownDatastores, tmMad } from '../objects.js';
import { clusterRef, inCluster, type ObjectPlanner } from './planner.js';

export const datastores: ObjectPlanner = {
  object: 'datastores',
  find: ({ s, state, found, problems }) => {
    const tm = tmMad(s);
    const dss = ownDatastores(
      state,
      found.hosts.map((h) => h.one),
      tm,
    );
    found.datastores = dss;
    const ids = found.provisionIds;
    const whose = ids.size ? `the scenario's provisions (ID ${listIds(ids)})` : 'oned';
    // With a host unknown (a problem already), its provision and so its datastores are unknown: nothing more to say.
    if (found.hosts.every((h) => h.one)) {
      if (!dss.some((d) => d.type === 0))
        problems.push(
          `datastores.mode is "${tm}" but ${whose} ${ids.size ? 'have' : 'has'} no image datastore with TM_MAD=${tm}: create one or change datastores.mode.`,
        );
      if (!dss.some((d) => d.type === 1))
        problems.push(
          `datastores.mode is "${tm}" but ${whose} ${ids.size ? 'have' : 'has'} no system datastore with TM_MAD=${tm}: create one or change datastores.mode.`,
        );
    }
  },
  plan: ({ found, steps }) => {
    for (const d of found.datastores) {
      if (inCluster(found, 'datastores', d.id)) continue;
      steps.push({
        method: 'one.cluster.adddatastore',
        args: [clusterRef(), d.id],
        title: `Add ${d.type === 0 ? 'image' : 'system'} datastore ${d.name} (ID ${d.id}) to cluster ${found.clusterLabel}`,
      });
    }
  },
};
