"""Cold start: from launching `archivist` to an interactive window (the event loop running after
the first show). Each run is a fresh process on a fresh data folder; the index opens afterwards,
in the background, so it is not part of this figure (reported separately: "index open")."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from common import percentile  # noqa: E402


def launch_once(data_dir: Path) -> float:
    env = dict(os.environ, ARCHIVIST_DATA_DIR=str(data_dir), ARCHIVIST_REPORT_STARTUP="quit",
               PYTHONPATH=str(ROOT), QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    started = time.time()
    out = subprocess.run([sys.executable, "-m", "desktop.app"], env=env, capture_output=True, text=True,
                         timeout=120)
    for line in out.stdout.splitlines():
        if line.startswith("interactive "):
            return float(line.split()[1]) - started
    raise RuntimeError(f"the app did not report startup: {out.stderr[-2000:]}")


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    launch_once(Path(tempfile.mkdtemp(prefix="archivist-cold-")))  # warm the OS file cache once
    seconds = [launch_once(Path(tempfile.mkdtemp(prefix="archivist-cold-"))) for _ in range(args.runs)]
    result = {"runs": args.runs, "median_s": round(percentile(seconds, 50), 3), "max_s": round(max(seconds), 3),
              "platform": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    print(json.dumps(result) if args.json else
          f"cold start to interactive window: median {result['median_s']:.2f} s, worst {result['max_s']:.2f} s "
          f"over {args.runs} launches ({result['platform']}; target <= 2 s)")
    return result


if __name__ == "__main__":
    main()
