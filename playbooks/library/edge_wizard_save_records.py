#!/usr/bin/python
# -*- coding: utf-8 -*-
# Apache-2.0 (edge-wizard)
"""Write one JSON file per host (`<dir>/<name>.json`, 0600) in one call: what
playbooks/verify.yml collected, saved on the controller for edge-wizard
(a delegated `copy` per host cost a module round trip each)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: edge_wizard_save_records
short_description: Write one JSON file per host into a directory
options:
  dir: {description: An existing directory., required: true, type: path}
  names: {description: "Inventory names: the files' names (no '/')", required: true, type: list, elements: str}
  records: {description: One record (a mapping) per name, in the same order., required: true, type: list}
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule


def main():
    m = AnsibleModule(
        argument_spec=dict(
            dir=dict(type="path", required=True),
            names=dict(type="list", elements="str", required=True),
            records=dict(type="list", required=True),
        ),
        supports_check_mode=True,
    )
    names, records = m.params["names"], m.params["records"]
    if len(names) != len(records) or any("/" in n or n in ("", ".", "..") for n in names) or not all(isinstance(r, dict) for r in records):
        m.fail_json(msg="edge_wizard_save_records: one record (a mapping) per name, and names without '/'")
    for name, record in zip(names, records):
        path = os.path.join(m.params["dir"], name + ".json")
        tmp = path + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(dict(record, host=name), f)
        os.replace(tmp, path)
    m.exit_json(changed=False, written=len(names))


if __name__ == "__main__":
    main()
