/** The EVPN networks: the file's form, each network's subnet, name and VNI, then its leases and gateway. */
import { cidrString, contains, fromInt, isIpv4, maskToPrefix, parseCidr4, range, toInt } from '../net.js';
import { printable } from '../printable.js';
import { networkField } from '../scenario.js';
import type { Section } from './section.js';

/** Each network a proper subnet (found.evpn), with a name and a VNI of its own. */
export const networks: Section = ({ s, err, warn, found }) => {
  if (s.evpn_form === 'both') err('evpn', 'evpn and networks are both set: move the evpn block into networks (its as into bgp.as) and delete it.');
  else if (s.evpn_form === 'evpn')
    warn('evpn', 'evpn is the one-network form of the file: it reads as networks[0] with bgp.as; write networks: (and bgp.as) to add a second network.');
  found.evpn = s.networks.map((n, i) => {
    const f = networkField(s, i);
    const prefix = maskToPrefix(n.network_mask);
    if (prefix === undefined) {
      err(`${f}.network_mask`, `${f}.network_mask ${n.network_mask} is not a contiguous netmask: write it like 255.255.255.0.`);
      return undefined;
    }
    if (!isIpv4(n.network_address)) return undefined;
    const c = parseCidr4(`${n.network_address}/${prefix}`);
    if (c && cidrString(c) !== `${n.network_address}/${prefix}`) {
      err(
        `${f}.network_address`,
        `${f}.network_address ${n.network_address} is not the network address for mask ${n.network_mask}: use ${cidrString(c).split('/')[0]}.`,
      );
      return undefined;
    }
    return c;
  });
  const seenName = new Map<string, number>();
  const seenVni = new Map<number, number>();
  s.networks.forEach((n, i) => {
    const f = networkField(s, i);
    const j = seenName.get(n.name);
    if (j !== undefined) err(`${f}.name`, `${f}.name "${printable(n.name)}" is already the name of networks[${j}]: give each network its own name.`);
    else seenName.set(n.name, i);
    if (n.vni === undefined) return;
    const k = seenVni.get(n.vni);
    if (k !== undefined)
      err(`${f}.vni`, `${f}.vni ${n.vni} is already the VNI of networks[${k}]: give each network its own VNI, or leave vni out for an automatic one.`);
    else seenVni.set(n.vni, i);
  });
};

/** Leases and gateways; the Virtual Router takes the first lease of the first network. */
export const leases: Section = ({ s, kvms, err, found }) => {
  s.networks.forEach((n, i) => {
    const evpn = found.evpn[i];
    if (!evpn) return;
    const f = networkField(s, i);
    const vr = s.virtual_router.enabled && i === 0;
    const { first, last } = range(evpn);
    if (last - first < 3) {
      // A /31 or /32 has no room for a gateway and a lease: any address suggested below would be wrong.
      err(
        `${f}.network_mask`,
        `${f}.network_mask ${n.network_mask} (/${evpn.prefix}) leaves no room for a gateway and leases: use a mask such as 255.255.255.0.`,
      );
      return;
    }
    const start = isIpv4(n.ar_start) ? toInt(n.ar_start) : NaN;
    const end = start + n.ar_size - 1;
    const arStartOk = contains(evpn, n.ar_start) && start !== first && start !== last;
    if (!arStartOk) {
      err(`${f}.ar_start`, `${f}.ar_start ${n.ar_start} is not a host address of the EVPN network ${cidrString(evpn)}: use one such as ${fromInt(first + 1)}.`);
    } else if (end >= last) {
      err(`${f}.ar_size`, `${f}.ar_size ${n.ar_size} runs past the end of ${cidrString(evpn)} from ${n.ar_start}: use at most ${last - start}.`);
    }
    const needed = kvms.length + (vr ? 1 : 0);
    if (n.ar_size < needed) {
      err(
        `${f}.ar_size`,
        `${f}.ar_size ${n.ar_size} is too small for ${kvms.length} KVM hosts${vr ? ' plus the Virtual Router' : ''}: use at least ${needed}.`,
      );
    }
    const gw = isIpv4(n.gateway) ? toInt(n.gateway) : NaN;
    if (!contains(evpn, n.gateway)) {
      err(
        `${f}.gateway`,
        `${f}.gateway ${n.gateway} is outside the EVPN network ${cidrString(evpn)}: use an address inside it, such as ${arStartOk ? n.ar_start : fromInt(first + 1)}.`,
      );
    } else if (gw === first || gw === last) {
      err(
        `${f}.gateway`,
        `${f}.gateway ${n.gateway} is the ${gw === first ? 'network' : 'broadcast'} address of ${cidrString(evpn)}, which no host can have: use a host address such as ${arStartOk ? n.ar_start : fromInt(first + 1)}.`,
      );
    } else if (arStartOk && vr && n.gateway !== n.ar_start) {
      err(`${f}.gateway`, `${f}.gateway ${n.gateway} is not the first lease ${n.ar_start}, which the Virtual Router takes: set ${f}.gateway to ${n.ar_start}.`);
    }
  });
};
