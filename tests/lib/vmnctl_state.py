#!/usr/bin/env python3
"""The VMNs vmnctl-ofc has on disk: its state file (the last snapshot) with the journal
segments written since (STATE.journal.N, one JSON record per line) merged in, as the
controller does at start (a VMN entry replaces the one with its MAC; "removed" drops it; a
torn last line of a segment is left out). Prints the merged "vmns" list as JSON.

usage: vmnctl_state.py STATE_FILE
"""
import glob
import json
import re
import sys


def merged_vmns(path):
    vmns = {v["mac"]: v for v in json.load(open(path))["vmns"]}
    segments = sorted(glob.glob(path + ".journal.*"), key=lambda f: int(re.sub(r".*\.", "", f)))
    for segment in segments:
        lines = open(segment).read().split("\n")
        for i, line in enumerate(lines):
            if i == len(lines) - 1:
                break  # after the last newline: nothing, or a record cut short by a crash
            record = json.loads(line)  # a broken record in the middle is an error
            for v in record.get("vmns", []):
                vmns[v["mac"]] = v
            for mac in record.get("removed", []):
                vmns.pop(mac, None)
    return list(vmns.values())


if __name__ == "__main__":
    json.dump(merged_vmns(sys.argv[1]), sys.stdout)
