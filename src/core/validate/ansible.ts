/** The ansible block: settings one-deploy does not read. */
import type { Section } from './section.js';

/** one-deploy reads no `frr_repo` setting (it is the name of a registered result); its switch is repos_enabled. */
export const ansible: Section = ({ s, warn }) => {
  if (s.ansible.frr_repo !== undefined) {
    warn(
      'ansible.frr_repo',
      s.ansible.repos_enabled?.length === 0
        ? "ansible.frr_repo is retired and is read as ansible.repos_enabled: [] (FRR from the distribution): write that instead, or remove both to get one-deploy's pinned FRR 10.5."
        : 'ansible.frr_repo is retired and ignored, since ansible.repos_enabled is set: remove it.',
    );
  }
};
