#!/usr/bin/python
# -*- coding: utf-8 -*-
# Apache-2.0 (edge-wizard)
"""Edit an iptables-save rules file (Debian's /etc/iptables/rules.v4, RedHat's
/etc/sysconfig/iptables) for edge-wizard's firewall role: remove oneprovision's
REJECT rule (open), or put ACCEPT rules before it (strict). The result is
checked with `iptables-restore --test` before it replaces the file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: edge_wizard_rules_file
short_description: Remove oneprovision's REJECT rule from an iptables rules file, or open ports before it
description:
  - Works on the C(*filter) table of a file in iptables-save format.
  - Matches C(-A INPUT -i IFACE -j REJECT --reject-with icmp-host-prohibited) and the same rule
    without C(-i) (oneprovision writes it so when no interface is given), whatever the spacing.
  - open removes those lines. strict makes sure every line of I(accept_lines) is in the table
    before the first of them (or before the table's C(COMMIT) when there is none), moving a line
    that sits after it; lines of I(accept_lines) found outside any table (an older edge-wizard
    appended them after C(COMMIT)) are removed.
  - The new text is checked with I(test_command) and the file is left untouched when the check
    fails. Supports check mode and diff.
options:
  path: {description: The rules file; nothing happens when it is absent., required: true, type: path}
  mode: {description: open or strict., required: true, type: str, choices: [open, strict]}
  reject_interface: {description: Interface of the REJECT rule (empty matches only the rule without -i)., type: str, default: ''}
  accept_lines: {description: Rules (iptables-save syntax) that strict puts before the REJECT., type: list, elements: str, default: []}
  test_command: {description: Checks the new text (file name appended); skipped when not installed., type: list, elements: str, default: [iptables-restore, --test]}
"""

import os
import re
import tempfile

from ansible.module_utils.basic import AnsibleModule

REJECT_TAIL = "-j REJECT --reject-with icmp-host-prohibited"


def norm(line):
    return " ".join(line.split())


def is_reject(line, iface):
    n = norm(line)
    forms = ["-A INPUT " + REJECT_TAIL]
    if iface:
        forms.append("-A INPUT -i %s %s" % (iface, REJECT_TAIL))
    return n in forms


def sections(lines):
    """(start, end) index pairs of each table: the `*name` line to its COMMIT line (inclusive)."""
    out, start = [], None
    for i, line in enumerate(lines):
        n = norm(line)
        if start is None and re.match(r"^\*\S+$", n):
            start = i
        elif start is not None and n == "COMMIT":
            out.append((start, i, norm(lines[start])[1:]))
            start = None
    return out


def transform(text, mode, iface, accept_lines):
    """Returns (new_text, notes)."""
    notes = []
    lines = text.splitlines(True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    wanted = [norm(a) for a in accept_lines]
    # Lines of ours outside every table: an older edge-wizard appended them after COMMIT.
    inside = set()
    for s, e, _name in sections(lines):
        inside.update(range(s, e + 1))
    stray = [i for i, line in enumerate(lines) if i not in inside and norm(line) in wanted]
    if stray:
        notes.append("removed %d rule line(s) found outside any table" % len(stray))
        lines = [line for i, line in enumerate(lines) if i not in set(stray)]
    filt = [x for x in sections(lines) if x[2] == "filter"]
    if not filt:
        notes.append("no *filter table: nothing to do")
        return "".join(lines), notes
    s, e, _name = filt[0]
    body = lines[s + 1:e]
    if mode == "open":
        kept = [line for line in body if not is_reject(line, iface)]
        if len(kept) != len(body):
            notes.append("removed %d REJECT line(s)" % (len(body) - len(kept)))
        body = kept
    else:
        rejects = [i for i, line in enumerate(body) if is_reject(line, iface)]
        limit = rejects[0] if rejects else len(body)
        before = set(norm(line) for line in body[:limit])
        missing = [a for a in accept_lines if norm(a) not in before]
        if missing:
            # A line of ours after the REJECT does nothing there: it moves.
            moved = set(norm(a) for a in missing)
            head = body[:limit]
            tail = [line for line in body[limit:] if norm(line) not in moved]
            body = head + [a + "\n" for a in missing] + tail
            notes.append("put %d ACCEPT line(s) %s" % (len(missing), "before the REJECT" if rejects else "before COMMIT (no REJECT line)"))
    lines = lines[:s + 1] + body + lines[e:]
    return "".join(lines), notes


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            mode=dict(type="str", required=True, choices=["open", "strict"]),
            reject_interface=dict(type="str", default=""),
            accept_lines=dict(type="list", elements="str", default=[]),
            test_command=dict(type="list", elements="str", default=["iptables-restore", "--test"]),
        ),
        supports_check_mode=True,
    )
    p = module.params
    path = p["path"]
    if not os.path.exists(path):
        module.exit_json(changed=False, path=path, present=False, notes=["%s is absent: nothing to do" % path])
    with open(path, "r") as f:
        old = f.read()
    new, notes = transform(old, p["mode"], p["reject_interface"], p["accept_lines"])
    result = dict(changed=new != old, path=path, present=True, notes=notes)
    if module._diff:
        result["diff"] = dict(before=old, after=new, before_header=path, after_header=path)
    if not result["changed"]:
        module.exit_json(**result)

    fd, tmp = tempfile.mkstemp(prefix=".edge-wizard-", dir=os.path.dirname(path) or ".")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(new)
        tester = module.get_bin_path(p["test_command"][0]) if p["test_command"] else None
        if tester:
            rc, out, err = module.run_command([tester] + p["test_command"][1:] + [tmp])
            if rc != 0:
                module.fail_json(
                    msg="%s rejects the rules edge-wizard would write to %s, which is left as it is: %s"
                    % (" ".join(p["test_command"]), path, (err or out).strip()),
                    new_text=new, **dict((k, v) for k, v in result.items() if k != "changed")
                )
            result["tested_with"] = " ".join(p["test_command"])
        else:
            result["notes"].append("%s not installed: the new text was not tested" % p["test_command"][0])
        if module.check_mode:
            os.unlink(tmp)
        else:
            module.atomic_move(tmp, path)
        tmp = None
    finally:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
