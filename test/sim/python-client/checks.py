# What the Python-client scripts share: an assertion that names what failed, and the loop that runs each check and reports it as a JSON line.

import json
import os
import sys
import traceback


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def run_checks(checks):
    """Runs every check (or those named in $ONLY), one JSON line each, then exits 1 if any failed."""
    failed = 0
    only = os.environ.get("ONLY")
    for check in checks:
        if only and check.__name__ not in only.split(","):
            continue
        try:
            check()
            print(json.dumps({"check": check.__name__, "ok": True}), flush=True)
        except Exception as error:  # noqa: BLE001 — every failure is reported, then the next check runs
            failed += 1
            detail = f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=3)}"
            print(json.dumps({"check": check.__name__, "ok": False, "error": detail}), flush=True)
    sys.exit(1 if failed else 0)
