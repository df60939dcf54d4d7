"""Run one command and print, as JSON, its wall time, CPU time and peak RSS.

    python bench/_measure.py [--keep-stdout] -- CMD ...

Run in a fresh process per measurement: ``RUSAGE_CHILDREN`` then covers this command
(and the worker processes it waited for) only. ``ru_maxrss`` is the largest peak of any
single one of them, in KiB on Linux.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    keep = "--keep-stdout" in argv[: argv.index("--")]
    cmd = argv[argv.index("--") + 1 :]
    start = time.perf_counter()
    done = subprocess.run(
        cmd, stdout=subprocess.PIPE if keep else subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    maxrss = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss // 1024
    if done.returncode not in (0, 1):
        sys.stderr.write(done.stderr.decode("utf-8", "replace")[-4000:])
    json.dump(
        {
            "wall": wall,
            "user": usage.ru_utime,
            "sys": usage.ru_stime,
            "maxrss_kb": maxrss,
            "rc": done.returncode,
            "stdout": done.stdout.decode("utf-8", "replace") if keep else "",
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
