"""`python -m bench [ARGS]` (`make bench`): run every bench module (bench/*_bench.py) in turn, each in its own
process (so that each one's peak RSS is its own), passing ARGS on. Exits non-zero if one fails."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = []
    for path in sorted(HERE.glob("*_bench.py")):
        module = f"bench.{path.stem}"
        print(f"== {module}", flush=True)
        if subprocess.run([sys.executable, "-m", module, *sys.argv[1:]], cwd=HERE.parent).returncode != 0:
            failed.append(module)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
