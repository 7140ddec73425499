"""Reads a KeePass database with pykeepass (an independent KDBX implementation) and prints what
breakglass tests compare: every entry of the `breakglass` group with its title, username,
password, custom properties and attachments (name, SHA-256 and text of each), plus the names of the
other groups.

Usage: read_kdbx.py DB.kdbx  (the master password is read from stdin, never argv)
"""

import hashlib
import json
import sys

from pykeepass import PyKeePass


def main() -> None:
    path = sys.argv[1]
    password = sys.stdin.readline().rstrip("\n")
    kp = PyKeePass(path, password=password)
    group = kp.find_groups(name="breakglass", first=True)
    entries = []
    for entry in group.entries if group else []:
        entries.append(
            {
                "title": entry.title,
                "username": entry.username,
                "password": entry.password,
                "url": entry.url,
                "notes": entry.notes,
                "custom": entry.custom_properties,
                "attachments": [
                    {
                        "name": a.filename,
                        "sha256": hashlib.sha256(a.data).hexdigest(),
                        "text": a.data.decode("ascii", "replace"),
                    }
                    for a in entry.attachments
                ],
            }
        )
    other = sorted(g.name for g in kp.groups if g.name not in ("breakglass",) and g != kp.root_group)
    json.dump(
        {
            "version": list(kp.version),
            "kdf": str(kp.kdf_algorithm),
            "entries": entries,
            "other_groups": other,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
