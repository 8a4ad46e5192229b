/**
 * What one section's checks of core/validate.ts checkSemantics look like. Each module here checks
 * one part of a complete (defaulted) scenario; index.ts lists them in the order their messages
 * print. A section reports with `err`/`warn` (one sentence naming the field and the fix) and may
 * read what an earlier section worked out (`found`).
 */
import type { Problem } from '../errors.js';
import type { Cidr } from '../net.js';
import type { KvmHost, Scenario } from '../scenario.js';

export interface Checks {
  s: Scenario;
  /** Every KVM host, in file order. */
  kvms: Array<KvmHost & { cluster: string }>;
  /** The names of the mesh hosts: the ingress and every KVM host. */
  meshNames: Set<string>;
  err(field: string, message: string): void;
  warn(field: string, message: string): void;
  /** Problems from a checker of its own (interconnect/validate.ts). */
  add(result: { errors?: Problem[]; warnings?: Problem[] }): void;
  /** What earlier sections worked out, for the later ones; a value that failed its own check is undefined. */
  found: {
    /** Public address (one spelling of it) -> the field that holds it (addresses.ts publicAddresses). */
    publicIps: Map<string, string>;
    /** wireguard.subnet and control_subnet (addresses.ts subnets). */
    wireguard?: Cidr;
    control?: Cidr;
    /** Each EVPN network's subnet, by index (networks.ts networks). */
    evpn: Array<Cidr | undefined>;
  };
}

/** One section's checks; `'stop'`: nothing after it is checked (the scenario is too large to check). */
export type Section = (c: Checks) => void | 'stop';
