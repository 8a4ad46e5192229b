#!/usr/bin/env bash
# Runs a role on this machine as if it were a KVM host of another family, touching
# nothing outside: inside `unshare --mount --net` (a private network namespace for
# iptables, and /etc replaced by a tmpfs copy so the family's rules file sits at its
# real path). Used by test/families/*.test.ts.
#
#   run-role.sh WORK RULES_PATH ROLES_PATH RUNS [ansible-playbook args...]
#
# WORK holds `rules` (the persisted rules before, or absent), `playbook.yml`,
# `inventory.yml` and optionally `bin/` (fake tools put first on PATH). The rules are
# loaded live with iptables-restore and written to RULES_PATH. Left in WORK: run<N>.json
# (json callback) and run<N>.rc per run, `after` (RULES_PATH afterwards), `live` (iptables-save
# afterwards), `test.rc` and `test.err` (iptables-restore --test on `after`).
set -euo pipefail
work=$1 rules_path=$2 roles=$3 runs=$4
shift 4
exec unshare --mount --net --fork bash -s -- "$work" "$rules_path" "$roles" "$runs" "$@" <<'INNER'
set -euo pipefail
work=$1 rules_path=$2 roles=$3 runs=$4
shift 4
mount --make-rprivate /
etc=$(mktemp -d)
mount -t tmpfs tmpfs "$etc"
cp -a /etc/. "$etc/"
mount --bind "$etc" /etc
rm -f /etc/iptables/rules.v4 /etc/sysconfig/iptables
ip link set lo up
if [ -f "$work/rules" ]; then
  mkdir -p "$(dirname "$rules_path")"
  cp "$work/rules" "$rules_path"
  # A file iptables-restore refuses (what the tests feed on purpose) is simply not loaded live.
  iptables-restore < "$work/rules" 2> "$work/live-load.err" || true
fi
[ -d "$work/bin" ] && export PATH="$work/bin:$PATH"
export ANSIBLE_ROLES_PATH=$roles ANSIBLE_STDOUT_CALLBACK=json ANSIBLE_CONFIG=$work/ansible.cfg ANSIBLE_LOCAL_TEMP=$work/.ansible-local
printf "[defaults]\n" > "$work/ansible.cfg"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
for n in $(seq 1 "$runs"); do
  set +e
  ansible-playbook -i "$work/inventory.yml" "$work/playbook.yml" "$@" > "$work/run$n.json" 2> "$work/run$n.err"
  echo $? > "$work/run$n.rc"
  set -e
done
if [ -f "$rules_path" ]; then cp "$rules_path" "$work/after"; fi
iptables-save | grep -v '^#' > "$work/live" || true
if [ -f "$work/after" ]; then
  set +e
  iptables-restore --test "$work/after" 2> "$work/test.err"
  echo $? > "$work/test.rc"
fi
INNER
