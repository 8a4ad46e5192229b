/**
 * The lab's fixed values, in a module that imports nothing: `lab --help` and `demo --help`
 * print them without loading the lab (cli/help/*).
 */
export const DEFAULT_STATE_ROOT = '/var/lib/edge-wizard/lab';
export const DEFAULT_CACHE_DIR = '/var/cache/edge-wizard';

/** The Debian releases the lab's hosts boot. */
export const RELEASES = ['bookworm', 'trixie'] as const;
export type Release = (typeof RELEASES)[number];
export const DEFAULT_RELEASE: Release = 'bookworm';

/** The most clusters and KVM hosts one lab holds on this machine's size (docs/lab.md). */
export const LAB_MAX_CLUSTERS = 8;
export const LAB_MAX_KVM_HOSTS = 16;
