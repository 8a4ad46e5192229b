/** BGP: the route reflectors (hosts of the mesh, the ingress among them), enough listen slots for every VTEP, the EVPN cluster ID. */
import { isIpv4 } from '../net.js';
import { shown } from '../printable.js';
import type { Section } from './section.js';

export const bgp: Section = ({ s, meshNames, err }) => {
  s.bgp.reflectors.forEach((r, i) => {
    if (!meshNames.has(r))
      err(`bgp.reflectors[${i}]`, `bgp.reflectors[${i}] is ${shown(r)}, which is not a host of this scenario: use the ingress name or a KVM host name.`);
  });
  // The ingress always reflects: the plays reach it through one-deploy's `router` group.
  if (!s.ingress.route_reflector) {
    err(
      'ingress.route_reflector',
      'ingress.route_reflector is false, but the ingress is always a route reflector: set it to true (add KVM hosts to bgp.reflectors for more reflectors).',
    );
  } else if (!s.bgp.reflectors.includes(s.ingress.name)) {
    err('bgp.reflectors', `bgp.reflectors leaves out ${s.ingress.name}, the ingress, which is always a route reflector: add it to the list.`);
  }
  if (s.bgp.listen_limit < meshNames.size - 1) {
    err(
      'bgp.listen_limit',
      `bgp.listen_limit ${s.bgp.listen_limit} is below the ${meshNames.size - 1} VTEPs that connect to each reflector: raise it to at least ${meshNames.size - 1}, or leave it out.`,
    );
  }
  if (!s.evpn_cluster_id && s.frontend.address && !isIpv4(s.frontend.address)) {
    err('evpn_cluster_id', 'evpn_cluster_id is needed when frontend.address is not IPv4: set it to an IPv4 address such as the ingress WireGuard address.');
  }
};
