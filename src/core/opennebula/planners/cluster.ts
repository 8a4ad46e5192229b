/** The scenario's cluster: by name, else by marker; marked so a rename by hand does not lose it. */
import { clusterName, findOwn, MARKER_ROLE, MARKER_SCENARIO, markerTemplate, markStep, renamedWarning, ROLE } from '../objects.js';
import { renderTemplate } from '../template.js';
import { clusterRef, type ObjectPlanner } from './planner.js';

export const cluster: ObjectPlanner = {
  object: 'cluster',
  find: ({ s, state, found }) => {
    const f = findOwn(state.clusters, s, clusterName(s), ROLE.cluster);
    found.cluster = f.obj;
    found.clusterRenamed = f.renamed;
    found.clusterLabel = f.obj?.name ?? clusterName(s);
  },
  plan: ({ s, found, steps, known, warnings }) => {
    const cname = clusterName(s);
    const c = found.cluster;
    if (c) {
      known.cluster = c.id;
      if (found.clusterRenamed) warnings.push(renamedWarning('cluster', 'onecluster', cname, c));
      if (!c.marker) steps.push(markStep(s, ROLE.cluster, 'one.cluster.update', 'cluster', c));
    } else {
      steps.push({ method: 'one.cluster.allocate', args: [cname], title: `Create cluster ${cname}`, bind: 'cluster' });
      steps.push({
        method: 'one.cluster.update',
        args: [clusterRef(), renderTemplate(markerTemplate(s, ROLE.cluster)), 1],
        title: `Mark cluster ${cname} as this scenario's (${MARKER_SCENARIO}, ${MARKER_ROLE})`,
      });
    }
  },
};
