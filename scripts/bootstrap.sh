#!/usr/bin/env bash
# Installs what edge-wizard and its tests need on Debian 12, as root:
# Debian packages (Ansible, WireGuard, systemd-nspawn, debootstrap...), then
# the npm dependencies (npm ci, which also builds dist/). Safe to repeat.
#
# Node.js 20 must already be installed (Debian 12's own nodejs is 18).
# one-deploy is found through ONE_DEPLOY_DIR, /opt/one-deploy, or the
# standard Ansible collections path; it is never copied into this repository.
set -euo pipefail
cd "$(dirname "$0")/.."

need_node=20
have_node=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$have_node" -lt "$need_node" ]; then
  echo "bootstrap: Node.js >= $need_node is required (found: $(node --version 2>/dev/null || echo none)); install Node.js 20 first." >&2
  exit 2
fi

packages=(
  ansible-core ansible-lint python3 openssh-client
  wireguard-tools wireguard-go
  iproute2 iputils-ping procps util-linux iptables netcat-openbsd
  systemd-container debootstrap debian-archive-keyring
  tmux git ca-certificates
  graphviz prometheus-node-exporter python3-ansible-runner
  qemu-system-x86 qemu-utils busybox-static cpio
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bootstrap: missing Debian packages (${missing[*]}); run as root or: apt-get install ${missing[*]}" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npx tsc -p tsconfig.json
fi

# one-deploy: ONE_DEPLOY_DIR, /opt/one-deploy, or the pinned release installed
# by ansible-galaxy when the network allows (never fatal).
bash collections/install.sh

# OpenNebula tests: a real oned when ONE_LOCATION names an OpenNebula install kept outside this repository (nothing here builds it), else the stand-in.
if [ -z "${ONE_LOCATION:-}" ]; then echo "bootstrap: ONE_LOCATION is not set: the OpenNebula tests run against the stand-in oned (docs/opennebula.md)"; elif [ -x "$ONE_LOCATION/bin/oned" ]; then echo "bootstrap: ONE_LOCATION=$ONE_LOCATION: the OpenNebula tests run against a real oned"; else echo "bootstrap: ONE_LOCATION=$ONE_LOCATION holds no bin/oned: the OpenNebula tests will fail; fix or unset it"; fi
