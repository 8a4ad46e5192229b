#!/usr/bin/env bash
# one-deploy for edge-wizard (called by scripts/bootstrap.sh; safe to repeat).
# ONE_DEPLOY_DIR when set, else /opt/one-deploy, else ~/.ansible/collections;
# when none holds it and ONE_DEPLOY_DIR is unset, the pinned release of
# collections/requirements.yml is installed by ansible-galaxy if the network
# allows. Never fatal: without one-deploy the demo and the tests that need it
# say SKIPPED, and this says so loudly.
set -uo pipefail
cd "$(dirname "$0")/.."
requirements=collections/requirements.yml
source_url=$(sed -n 's/^ *- name: \(https:.*\)$/\1/p' "$requirements")
tag=$(sed -n 's/^ *"tag": "\(.*\)",*$/\1/p' collections/one-deploy.pin.json)
galaxy_dir="$HOME/.ansible/collections/ansible_collections/opennebula/deploy"

holds_one_deploy() { [ -d "$1/roles/frr/evpn" ] || [ -d "$1/ansible_collections/opennebula/deploy/roles/frr/evpn" ]; }
loud() {
  {
    echo "################################################################################"
    echo "bootstrap: one-deploy is NOT installed: $1."
    echo "The demo and the tests that need one-deploy will be SKIPPED. Install the pin"
    echo "($tag) where the network allows, from edge-wizard's directory:"
    echo "  ansible-galaxy collection install -r $requirements"
    echo "or extract one-deploy $tag and set ONE_DEPLOY_DIR to it."
    echo "################################################################################"
  } >&2
}

if [ -n "${ONE_DEPLOY_DIR:-}" ]; then
  if holds_one_deploy "$ONE_DEPLOY_DIR"; then
    echo "bootstrap: one-deploy found at ONE_DEPLOY_DIR=$ONE_DEPLOY_DIR (preflight says whether it is the pinned $tag)"
  else
    loud "ONE_DEPLOY_DIR=$ONE_DEPLOY_DIR holds no opennebula.deploy (nothing installed: ONE_DEPLOY_DIR is set)"
  fi
elif holds_one_deploy /opt/one-deploy; then
  echo "bootstrap: one-deploy found at /opt/one-deploy (preflight says whether it is the pinned $tag)"
elif [ -d "$galaxy_dir/roles/frr/evpn" ]; then
  echo "bootstrap: one-deploy found at $galaxy_dir (preflight says whether it is the pinned $tag)"
elif ! timeout 20 git ls-remote "$source_url" HEAD >/dev/null 2>&1; then
  loud "/opt/one-deploy is absent and $source_url cannot be reached from here"
elif ! timeout 600 ansible-galaxy collection install -r "$requirements"; then
  loud "ansible-galaxy collection install -r $requirements failed (see above)"
else
  echo "bootstrap: one-deploy $tag installed at $galaxy_dir"
fi
exit 0
