"""`python -m bench [search|catalog|reset|all] [options]`: the benchmarks, on demand (`make bench`).

    python -m bench                          # all three, at 1,000 listings (a quick look)
    python -m bench search --sizes 1000 20000
    python -m bench catalog --sizes 1000 20000 --seconds 8
    python -m bench reset --rounds 200       # reset requests: known vs unknown address
    python -m bench photos --rounds 20       # a photo upload's request: job inline vs workers

Options after the benchmark's name go to that benchmark (`python -m bench catalog --help`).
The catalog benchmark needs wrk (apt-get install wrk); without it, it is skipped with a note.
"""

from __future__ import annotations

import shutil
import sys

from bench import catalog_bench, photo_bench, reset_bench, search_bench

QUICK = ["--sizes", "1000"]


def main(argv: list[str]) -> int:
    if argv[:1] in (["-h"], ["--help"], ["help"]):
        print(__doc__)
        return 0
    name, options = (argv[0], argv[1:]) if argv and not argv[0].startswith("-") else ("all", argv)
    if name not in ("search", "catalog", "reset", "photos", "all"):
        print(
            f"unknown benchmark {name!r}; choose search, catalog, reset, photos or all\n{__doc__}"
        )
        return 2
    if name == "photos":
        photo_bench.main(options)
        return 0
    if name in ("reset", "all"):
        print("== reset_bench")
        reset_bench.main(options if name == "reset" else [])
        if name == "reset":
            return 0
        print()
    if name in ("search", "all"):
        print("== search_bench")
        search_bench.main(options or QUICK)
    if name in ("catalog", "all"):
        print("\n== catalog_bench")
        if shutil.which("wrk") is None:
            print("skipped: wrk is not installed (apt-get install wrk)")
            return 0 if name == "all" else 1
        catalog_bench.main(options or [*QUICK, "--seconds", "4"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
