#!/usr/bin/python
# -*- coding: utf-8 -*-
# Apache-2.0 (edge-wizard)
"""Bring a role's files to what the controller rendered, in one module run: whole
files (content rendered with the template lookup), directories, files that must be
absent, and single lines in a file someone else owns (FRR's daemons file). A
`template`/`copy`/`file`/`lineinfile` task per file cost a round trip or three each;
this is one. Writes are atomic (a temporary file in the same directory, given its
mode and owner before it is renamed into place), check mode changes nothing, and
--diff shows each file's change."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: edge_wizard_files
short_description: Files, directories and lines of a role in one module run
options:
  files:
    description:
      - "Each: path, and state: file (with content), directory or absent; mode (octal string), owner, group."
      - "A directory entry comes before the files in it; a missing parent of a file is an error."
    type: list
    elements: dict
    default: []
  lines:
    description:
      - "Each: path, regexp, line: the last line matching regexp becomes line (as lineinfile), or line is appended."
      - "missing: skip leaves a path that does not exist alone (default: fail)."
    type: list
    elements: dict
    default: []
"""

RETURN = r"""
changed_paths: {description: The paths this run changed (or would change in check mode), in the order given., type: list}
"""

import grp
import os
import pwd
import re
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule


def _ids(m, entry):
    uid = gid = -1
    try:
        if entry.get("owner") is not None:
            uid = pwd.getpwnam(entry["owner"]).pw_uid
        if entry.get("group") is not None:
            gid = grp.getgrnam(entry["group"]).gr_gid
    except KeyError as e:
        m.fail_json(msg="%s: no such user or group: %s" % (entry["path"], e))
    return uid, gid


def _mode(m, entry):
    if entry.get("mode") is None:
        return None
    try:
        return int(str(entry["mode"]), 8)
    except ValueError:
        m.fail_json(msg="%s: mode %r is not an octal number" % (entry["path"], entry["mode"]))


def _attrs_differ(st, mode, uid, gid):
    return (mode is not None and stat.S_IMODE(st.st_mode) != mode) or (uid != -1 and st.st_uid != uid) or (gid != -1 and st.st_gid != gid)


def _attrs_diff(path, st, mode, uid, gid):
    """--diff for a change of mode or owner only: what they are and what they become."""
    def show(m_, u, g):
        return "mode %s, owner %s:%s\n" % (oct(m_)[2:].zfill(4), u, g)
    return dict(
        before_header=path + " (attributes)",
        after_header=path + " (attributes)",
        before=show(stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid),
        after=show(mode if mode is not None else stat.S_IMODE(st.st_mode), uid if uid != -1 else st.st_uid, gid if gid != -1 else st.st_gid),
    )


def _put_attrs(m, path, st, mode, uid, gid, diffs):
    """Mode and owner back to what the entry says (the content already is): True, it changed."""
    diffs.append(_attrs_diff(path, st, mode, uid, gid))
    if not m.check_mode:
        os.chown(path, uid, gid)
        if mode is not None:
            os.chmod(path, mode)
    return True


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except (IOError, OSError):
        return None


def _write(path, data, mode, uid, gid):
    """Atomic: the temporary file has its final mode and owner before it is renamed into place."""
    fd, tmp = tempfile.mkstemp(prefix=".edge-wizard.", dir=os.path.dirname(path) or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), mode)
            os.fchown(f.fileno(), uid, gid)
            os.fsync(f.fileno())
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _text(data):
    return data.decode("utf-8", "replace") if data is not None else ""


def ensure(m, entry, diffs):
    """One files entry: True when it changed (or would, in check mode)."""
    path, state = entry.get("path"), entry.get("state") or "file"
    if not path or not os.path.isabs(path):
        m.fail_json(msg="edge_wizard_files: every entry needs an absolute path (got %r)" % (path,))
    mode, (uid, gid) = _mode(m, entry), _ids(m, entry)
    exists = os.path.lexists(path)
    if state == "absent":
        if not exists:
            return False
        if os.path.isdir(path) and not os.path.islink(path):
            m.fail_json(msg="%s is a directory: edge_wizard_files removes files only" % path)
        diffs.append(dict(before_header=path, after_header=path, before=_text(_read(path)), after=""))
        if not m.check_mode:
            os.unlink(path)
        return True
    if state == "directory":
        if exists and not os.path.isdir(path):
            m.fail_json(msg="%s exists and is not a directory" % path)
        if not exists:
            if not m.check_mode:
                parent = os.path.dirname(path)
                if not os.path.isdir(parent):
                    os.makedirs(parent, 0o755)  # the missing parents, as the file module makes them
                os.mkdir(path, mode if mode is not None else 0o755)
                os.chown(path, uid, gid)
                if mode is not None:
                    os.chmod(path, mode)
            diffs.append(dict(before_header=path, after_header=path, before="(absent)\n", after="(directory)\n"))
            return True
        st = os.stat(path)
        if not _attrs_differ(st, mode, uid, gid):
            return False
        return _put_attrs(m, path, st, mode, uid, gid, diffs)
    if state != "file":
        m.fail_json(msg="%s: state %r is not one of file, directory, absent" % (path, state))
    if entry.get("content") is None:
        m.fail_json(msg="%s: a file entry needs content" % path)
    if not os.path.isdir(os.path.dirname(path)):
        if m.check_mode:
            diffs.append(dict(before_header=path, after_header=path, before="", after=entry["content"]))
            return True
        m.fail_json(msg="%s: its directory does not exist" % path)
    data = entry["content"].encode("utf-8")
    before = _read(path) if exists else None
    st = os.stat(path) if exists else None
    if before == data and not _attrs_differ(st, mode, uid, gid):
        return False
    if before != data:
        diffs.append(dict(before_header=path, after_header=path, before=_text(before), after=entry["content"]))
        if not m.check_mode:
            keep = stat.S_IMODE(st.st_mode) if st is not None else 0o644
            _write(path, data, mode if mode is not None else keep, uid, gid)
        return True
    return _put_attrs(m, path, st, mode, uid, gid, diffs)


def ensure_line(m, entry, diffs):
    """One lines entry: True when it changed (or would)."""
    path, line = entry.get("path"), entry.get("line")
    if not path or line is None or not entry.get("regexp"):
        m.fail_json(msg="edge_wizard_files: every lines entry needs path, regexp and line")
    if "\n" in line:
        m.fail_json(msg="%s: a line cannot hold a newline" % path)
    before = _read(path)
    if before is None:
        if entry.get("missing") == "skip":
            return False
        m.fail_json(msg="%s does not exist" % path)
    lines = _text(before).split("\n")
    pattern = re.compile(entry["regexp"])
    matches = [i for i, x in enumerate(lines) if pattern.search(x)]
    at = matches[-1] if matches else None  # the last match, as lineinfile
    if at is not None:
        if lines[at] == line:
            return False
        lines[at] = line
    else:
        if lines and lines[-1] == "":
            lines.insert(len(lines) - 1, line)
        else:
            lines.append(line)
    after = "\n".join(lines)
    diffs.append(dict(before_header=path, after_header=path, before=_text(before), after=after))
    if not m.check_mode:
        st = os.stat(path)
        _write(path, after.encode("utf-8"), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)
    return True


def main():
    m = AnsibleModule(
        argument_spec=dict(files=dict(type="list", elements="dict", default=[]), lines=dict(type="list", elements="dict", default=[])),
        supports_check_mode=True,
    )
    changed, diffs = [], []
    for entry in m.params["files"]:
        if ensure(m, entry, diffs):
            changed.append(entry["path"])
    for entry in m.params["lines"]:
        if ensure_line(m, entry, diffs):
            changed.append(entry["path"])
    result = dict(changed=bool(changed), changed_paths=changed)
    if m._diff:
        result["diff"] = diffs
    m.exit_json(**result)


if __name__ == "__main__":
    main()
