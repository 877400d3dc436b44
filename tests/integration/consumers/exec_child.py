"""The command of the ``consume --exec`` tests: reads one entry's JSON line from stdin and
appends its article id to LOG. python exec_child.py LOG [--fail-on ID] [--hang-on ID]"""

from __future__ import annotations

import json
import sys
import time

log, *rest = sys.argv[1:]
options = dict(zip(rest[::2], rest[1::2], strict=True))
article_id = json.loads(sys.stdin.readline())["article"]["id"]
if article_id == options.get("--hang-on"):
    time.sleep(60)
with open(log, "a") as out:
    out.write(article_id + "\n")
if article_id == options.get("--fail-on"):
    sys.exit(3)
