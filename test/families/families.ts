/** Facts of each host family the roles support (and one they do not), as Ansible reports them. */
export const FAMILIES = {
  debian12: { ansible_os_family: 'Debian', ansible_distribution: 'Debian', ansible_distribution_version: '12.9', ansible_distribution_major_version: '12', ansible_pkg_mgr: 'apt' },
  debian13: { ansible_os_family: 'Debian', ansible_distribution: 'Debian', ansible_distribution_version: '13.1', ansible_distribution_major_version: '13', ansible_pkg_mgr: 'apt' },
  ubuntu2004: { ansible_os_family: 'Debian', ansible_distribution: 'Ubuntu', ansible_distribution_version: '20.04', ansible_distribution_major_version: '20', ansible_pkg_mgr: 'apt' },
  ubuntu2204: { ansible_os_family: 'Debian', ansible_distribution: 'Ubuntu', ansible_distribution_version: '22.04', ansible_distribution_major_version: '22', ansible_pkg_mgr: 'apt' },
  ubuntu2404: { ansible_os_family: 'Debian', ansible_distribution: 'Ubuntu', ansible_distribution_version: '24.04', ansible_distribution_major_version: '24', ansible_pkg_mgr: 'apt' },
  alma8: { ansible_os_family: 'RedHat', ansible_distribution: 'AlmaLinux', ansible_distribution_version: '8.10', ansible_distribution_major_version: '8', ansible_pkg_mgr: 'dnf' },
  alma9: { ansible_os_family: 'RedHat', ansible_distribution: 'AlmaLinux', ansible_distribution_version: '9.5', ansible_distribution_major_version: '9', ansible_pkg_mgr: 'dnf' },
  rhel8: { ansible_os_family: 'RedHat', ansible_distribution: 'RedHat', ansible_distribution_version: '8.10', ansible_distribution_major_version: '8', ansible_pkg_mgr: 'dnf' },
  rhel9: { ansible_os_family: 'RedHat', ansible_distribution: 'RedHat', ansible_distribution_version: '9.5', ansible_distribution_major_version: '9', ansible_pkg_mgr: 'dnf' },
  sles15: { ansible_os_family: 'Suse', ansible_distribution: 'SLES', ansible_distribution_version: '15.6', ansible_distribution_major_version: '15', ansible_pkg_mgr: 'zypper' },
} as const;
