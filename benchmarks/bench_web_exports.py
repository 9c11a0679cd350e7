"""Peak memory of the web app's downloads of a large-ish stored run (docs/web.md, "Downloads").

    python benchmarks/bench_web_exports.py --store /tmp/webbench/store --n 5000   # makes the run once
    python benchmarks/bench_web_exports.py --store /tmp/webbench/store --parallel 4

Each download is measured in a fresh process: the app is served by uvicorn on the store,
warmed up with ``GET /api/runs/{id}``, then the download is requested (``--parallel`` at the
same time, each on its own thread, streaming the body); the script prints the process's peak
resident memory above the warmed-up level, the MiB received per download and the wall
time. To compare with another version of painsim, run the script with that version's
``src`` first on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

URLS = ["/api/runs/{id}/export.zip", "/api/runs/{id}/report", "/api/runs/{id}/tables/trajectories.csv",
        "/api/runs/{id}/tables/patients.csv"]


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(store: str, url: str, parallel: int) -> dict:
    """(in the child) Peak memory above the warmed-up server while serving ``url`` ``parallel`` times.

    The server (uvicorn, as ``painsim serve`` runs it) and the clients share the process; the
    clients stream the body and keep only its length, so the peak is the server's.
    """
    import socket

    import httpx
    import uvicorn

    from painsim.web import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(store, execute_jobs=False), host="127.0.0.1", port=port,
                                           log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base_url = f"http://127.0.0.1:{port}"
    run_id = httpx.get(f"{base_url}/api/runs").json()[0]["run_id"]
    httpx.get(f"{base_url}/api/runs/{run_id}")
    base = _peak_mib()
    sizes: list[int] = []
    statuses: list[int] = []

    def fetch() -> None:
        size = 0
        with httpx.stream("GET", base_url + url.format(id=run_id), timeout=600) as res:
            for chunk in res.iter_bytes():
                size += len(chunk)
            statuses.append(res.status_code)
        sizes.append(size)

    start = time.perf_counter()
    threads = [threading.Thread(target=fetch) for _ in range(parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    server.should_exit = True
    return {"url": url, "parallel": parallel, "statuses": sorted(set(statuses)),
            "mib_each": round(max(sizes) / 2**20, 1), "peak_above_base_mib": round(_peak_mib() - base, 1),
            "seconds": round(seconds, 1)}


def make_run(store: str, n: int) -> None:
    from painsim.store import Store
    from painsim.web.massage import MassageRequest, run_massage

    if len(Store(store)) == 0:
        print("storing the massage question with n =", n, "per arm ...", flush=True)
        run_massage(MassageRequest(n=n, horizon_days=730), Path(store))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--n", type=int, default=5000, help="patients per arm of the run made when the store is empty")
    parser.add_argument("--parallel", type=int, default=1)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.store, args.child, args.parallel)))
        return
    make_run(args.store, args.n)
    for url in URLS:
        out = subprocess.run([sys.executable, __file__, "--store", args.store, "--parallel", str(args.parallel),
                              "--child", url], capture_output=True, text=True, check=True)
        print(out.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
