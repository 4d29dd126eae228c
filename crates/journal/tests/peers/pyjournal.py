#!/usr/bin/python3
"""The second reference reader for ingot-journal's tests: Debian's python3-systemd (libsystemd's
sd_journal through systemd.journal.Reader) reads journal files and prints every entry as one JSON
line: {"cursor", "realtime", "monotonic", "boot_id", "fields": [[name, hex of the raw bytes], ...]}.

Values stay raw bytes: the Reader's converters (which turn fields into str, int, UUID, datetime) are
bypassed by calling the Reader's undecorated methods, so what is compared is what libsystemd read.
A field repeated in an entry keeps every value (libsystemd's _get_all gathers them into a list).

Usage: pyjournal.py (--file F ... | --directory D) [--match NAME=VALUE ...]
                    [--cursor C | --after-cursor C]
"""

import argparse
import json
import sys

try:
    from systemd import journal
except ImportError:
    sys.exit("python3-systemd is not installed; install it with: apt-get install -y python3-systemd")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--file", action="append", default=[])
    p.add_argument("--directory")
    p.add_argument("--match", action="append", default=[])
    g = p.add_mutually_exclusive_group()
    g.add_argument("--cursor")
    g.add_argument("--after-cursor")
    a = p.parse_args()
    if bool(a.file) == bool(a.directory):
        p.error("give --file (one or more) or --directory")

    if a.directory:
        r = journal.Reader(path=a.directory)
    else:
        r = journal.Reader(files=a.file)
    for m in a.match:
        r.add_match(m)

    cursor = a.cursor or a.after_cursor
    if cursor is not None:
        r.seek_cursor(cursor)
    else:
        r.seek_head()

    first = True
    out = sys.stdout
    # _next/_get_all/_get_* are the C methods of systemd.journal._Reader: no conversion of values.
    while journal._Reader._next(r):
        if first and a.after_cursor is not None:
            first = False
            # After seek_cursor, the next entry is the cursor's own if it exists (sd_journal_test_cursor
            # says so); --after-cursor starts past it.
            if journal._Reader.test_cursor(r, a.after_cursor):
                continue
        first = False
        data = journal._Reader._get_all(r)
        fields = []
        for name, value in data.items():
            values = value if isinstance(value, list) else [value]
            for v in values:
                fields.append([name, bytes(v).hex()])
        mono = r._get_monotonic()
        line = {
            "cursor": r._get_cursor(),
            "realtime": int(r._get_realtime()),
            "monotonic": int(mono[0]),
            "boot_id": bytes(mono[1]).hex(),
            "fields": fields,
        }
        out.write(json.dumps(line, separators=(",", ":")))
        out.write("\n")


if __name__ == "__main__":
    main()
