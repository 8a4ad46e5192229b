#!/usr/bin/env python3
"""
What Ansible makes of generated inventories, many at once, in one process (the
real ansible-core: its inventory plugins, its `-e @file` loader and its Templar,
as `ansible -m debug -a var=X` uses them).

argv: inventory directories. Each holds hosts.yml (+ host_vars/, group_vars/);
stdin is JSON {"extra": {dir: [extra-vars file, ...]}, "intended": [var, ...]},
the variables that are templates of ours on purpose (group_vars' wireguard_peers). For every host and
every variable the inventory or the extra vars define, the value is read raw and
then templated; prints JSON {dir: {"values": [every raw string], "changed":
[[host, var, raw, templated]], "error": str?}} ("values" holds keys and host
names too: a name the scenario gives is a key in Ansible's data). A value that templating changes
was read as code.
"""
import json
import sys

from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.utils.vars import combine_vars
from ansible.vars.manager import VariableManager


def strings(v, out):
    if isinstance(v, str):
        out.append(str(v))
    elif isinstance(v, dict):
        for k, x in v.items():
            out.append(str(k))  # names are keys (vn entries, hosts of a group)
            strings(x, out)
    elif isinstance(v, (list, tuple)):
        for x in v:
            strings(x, out)


def plain(v):
    return json.loads(json.dumps(v, default=str))


def one(d, extra_files, intended):
    loader = DataLoader()
    inv = InventoryManager(loader=loader, sources=[d + "/hosts.yml"])
    vm = VariableManager(loader=loader, inventory=inv)
    extra = {}
    for f in extra_files:
        extra = combine_vars(extra, loader.load_from_file(f))
    vm._extra_vars = extra
    out = {"values": [], "changed": []}
    if not inv.get_hosts():
        raise Exception("Ansible parsed no host from %s/hosts.yml" % d)
    for h in inv.get_hosts():
        out["values"].append(h.name)
        keys = set(h.vars.keys()) | set(extra.keys())
        for g in h.get_groups():
            keys |= set(g.vars.keys())
        hv = vm.get_vars(host=h, include_hostvars=False)
        keys |= set(k for k in hv.keys() if not k.startswith("ansible_") or k in ("ansible_user", "ansible_ssh_common_args", "ansible_host", "ansible_port"))
        keys -= {"groups", "group_names", "inventory_hostname", "inventory_hostname_short", "inventory_dir", "inventory_file", "omit", "playbook_dir", "ansible_playbook_python", "ansible_config_file", "ansible_version", "ansible_check_mode", "ansible_diff_mode", "ansible_forks", "ansible_inventory_sources", "ansible_skip_tags", "ansible_run_tags", "ansible_verbosity", "ansible_play_hosts_all", "ansible_play_batch", "ansible_play_hosts", "environment", "vars", "hostvars"}
        templar = Templar(loader=loader, variables=hv)
        # The inventory's own values too, where extra vars hide them (one_pass is withheld in every run).
        own = [("host", h.vars)] + [("group " + g.name, g.vars) for g in h.get_groups()]
        for where, vs in own:
            for k, v in vs.items():
                if k in intended or k.startswith("ansible_play") or k in ("inventory_file", "inventory_dir"):
                    continue
                raw = plain(v)
                strings(raw, out["values"])
                try:
                    done = plain(templar.template(v))
                except Exception as e:
                    done = "TEMPLATE ERROR: %s" % e
                if done != raw:
                    out["changed"].append([h.name, "%s (%s)" % (k, where), raw, done])
        for k in sorted(keys):
            if k not in hv or k in intended:
                continue
            raw = plain(hv[k])
            strings(raw, out["values"])
            try:
                done = plain(templar.template(hv[k]))
            except Exception as e:  # a template error is code being read too
                done = "TEMPLATE ERROR: %s" % e
            if done != raw:
                out["changed"].append([h.name, k, raw, done])
    return out


def main():
    given = json.loads(sys.stdin.read() or "{}")
    extra = given.get("extra", {})
    intended = set(given.get("intended", []))
    result = {}
    for d in sys.argv[1:]:
        try:
            result[d] = one(d, extra.get(d, []), intended)
        except Exception as e:
            result[d] = {"values": [], "changed": [], "error": "%s: %s" % (type(e).__name__, e)}
    json.dump(result, sys.stdout)


main()
