/** The OpenNebula side: each edge cluster's public IP budget, the Virtual Router's cluster, the password's variable. */
import type { Section } from './section.js';

/** Public IPs one edge cluster's public network may hold, the Virtual Router's included. */
export const MAX_PUBLIC_IPS = 5;

/** Environment variables a password may not live in: the processes edge-wizard starts for Ansible need them. */
const RESERVED_ENV =
  /^(PATH|HOME|USER|LOGNAME|SHELL|PWD|TMPDIR|TZ|LANG|LANGUAGE|LC_ALL|SSH_AUTH_SOCK|PYTHONPATH|PYTHONUNBUFFERED|VIRTUAL_ENV|ANSIBLE_(CONFIG|ROLES_PATH|COLLECTIONS_PATHS?|NOCOLOR|FORCE_COLOR|STDOUT_CALLBACK|RETRY_FILES_ENABLED|DEPRECATION_WARNINGS|HOST_KEY_CHECKING))$/;

/** The public IP budget and the Virtual Router's cluster. */
export const publicNetworks: Section = ({ s, err }) => {
  s.clusters.forEach((c, ci) => {
    const n = c.public_network.ips.length;
    if (n > MAX_PUBLIC_IPS) {
      err(
        `clusters[${ci}].public_network.ips`,
        `clusters[${ci}].public_network.ips (cluster ${c.name}) lists ${n} public IPs but an edge cluster has at most ${MAX_PUBLIC_IPS}, the Virtual Router's included: remove ${n - MAX_PUBLIC_IPS}.`,
      );
    }
  });
  if (s.virtual_router.enabled && s.clusters.length > 0) {
    const ci = s.clusters.findIndex((c) => c.name === s.virtual_router.cluster);
    if (ci < 0) {
      err(
        'virtual_router.cluster',
        `virtual_router.cluster "${s.virtual_router.cluster}" is not a cluster of this scenario: use one of ${s.clusters.map((c) => c.name).join(', ')}.`,
      );
    } else if (s.clusters[ci]!.public_network.ips.length === 0) {
      err(
        `clusters[${ci}].public_network.ips`,
        `clusters[${ci}].public_network.ips (cluster ${s.virtual_router.cluster}) is empty but the Virtual Router needs one public IP there: add the provision's public IPs.`,
      );
    }
  }
};

/**
 * {env: NAME}: the variable is kept from every process edge-wizard starts for Ansible (ansible-runner
 * writes its environment into its artifacts), so it cannot be one those processes need.
 */
export const opennebulaPassword: Section = ({ s, err }) => {
  const pw = s.opennebula.password;
  if (pw && typeof pw === 'object' && 'env' in pw && RESERVED_ENV.test(pw.env)) {
    err(
      'opennebula.password.env',
      `opennebula.password.env names ${pw.env}, which edge-wizard and Ansible need for themselves (it is kept from Ansible's processes, as the password's variable always is): use a variable of its own, like ONE_PASS.`,
    );
  }
};
