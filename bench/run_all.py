"""Run every benchmark once, in sequence, printing their figures (see bench/RESULTS.md)."""

import subprocess
import sys
from pathlib import Path

BENCHES = [
    ["ingest_efficiency.py", "--pdfs", "12", "--pages", "10", "--notes", "40"],
    ["freshness.py", "--rounds", "30"],
    ["incremental.py", "--pages", "300"],
    ["query_latency.py", "--answer-overhead"],
    ["memory.py", "--gb", "1.0"],
    ["query_during_indexing.py"],
    ["large_file_memory.py", "--mb", "80"],
    ["embed_int8_vs_fp32.py"],
    ["answer_quality.py"],
    ["gui_cold_start.py", "--runs", "5"],
    ["gui_responsiveness.py", "--files", "1000"],
    ["cli_latency.py", "--runs", "20"],
    ["mixed_folder.py", "--ocr-off-run"],
]

if __name__ == "__main__":
    here = Path(__file__).parent
    for script, *args in BENCHES:
        print(f"\n$ python bench/{script} {' '.join(args)}", flush=True)
        subprocess.run([sys.executable, str(here / script), *args], check=False)
