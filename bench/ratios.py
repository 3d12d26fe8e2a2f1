"""Prints per-request cost ratios from a Google Benchmark JSON file (bench/run.sh)."""
import json
import sys

results = {b["name"]: b["real_time"] for b in json.load(open(sys.argv[1]))["benchmarks"]}
print("per request (N tasks):   apitask   thread/task   std::async   apitask/thread   apitask/async")
for n in (1, 4, 16):
    a = results[f"ApitaskRunWait/{n}/real_time"]
    t = results[f"ThreadPerTask/{n}/real_time"]
    s = results[f"StdAsync/{n}/real_time"]
    print(f"  N={n:<2}                 {a / 1000:7.1f}us  {t / 1000:9.1f}us  {s / 1000:9.1f}us"
          f"   {a / t:12.3f}   {a / s:12.3f}")
