/**
 * The semantic checks of a complete (defaulted) scenario, one section each, in the order their
 * messages print (core/validate.ts checkSemantics runs them). A new section's checks: a module
 * here (section.ts) and its line below.
 */
import { fleetLimitWarnings } from '../fleet-limits.js';
import { checkInterconnect } from '../interconnect/validate.js';
import { overlapping, publicAddresses, subnets } from './addresses.js';
import { ansible } from './ansible.js';
import { bgp } from './bgp.js';
import { frontend } from './frontend.js';
import { fleetSize, hosts } from './hosts.js';
import { leases, networks } from './networks.js';
import { opennebulaPassword, publicNetworks } from './opennebula.js';
import type { Section } from './section.js';
import { hubs, mtu, wireguardAddresses } from './wireguard.js';

export const SECTIONS: readonly Section[] = [
  fleetSize,
  hosts,
  publicAddresses,
  subnets,
  networks,
  overlapping,
  frontend,
  bgp,
  hubs,
  wireguardAddresses,
  mtu,
  leases,
  publicNetworks,
  opennebulaPassword,
  ansible,
  // External EVPN gateways (docs/interconnect.md).
  ({ s, add }) => add(checkInterconnect(s)),
  // Past what bench:fleet measured (docs/fleet.md).
  ({ s, add }) => add({ warnings: fleetLimitWarnings(s) }),
];
