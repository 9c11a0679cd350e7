"""Child process for the crash and concurrency tests (run as a script, not collected by pytest).

usage: _child.py ROOT hang            write one table, print READY, sleep (to be killed)
       _child.py ROOT many N SYNC K   wait for SYNC/go, write N runs, print their ids
       _child.py ROOT lock SECONDS    hold the DuckDB write lock for SECONDS
       _child.py ROOT rebuild-hang    rebuild the index, print READY before swapping it in, sleep
"""

import signal
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from painsim.store import Store

# ctrl-c must raise KeyboardInterrupt here as in a user's process: a child inherits an ignored
# or blocked SIGINT from its parent (a test worker may be left so), and Python then keeps it so.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
signal.signal(signal.SIGINT, signal.default_int_handler)

root, mode = sys.argv[1], sys.argv[2]
df = pd.DataFrame({"day": np.arange(50), "pain": np.linspace(0, 10, 50)})

if mode == "hang":
    store = Store(root)
    with store.new_run("[cohort]\nn = 1\n", seed=99, name="doomed") as run:
        run.write_table("trajectories", df)
        print("READY", run.run_id, flush=True)
        time.sleep(60)
elif mode == "many":
    n, sync, k = int(sys.argv[3]), Path(sys.argv[4]), sys.argv[5]
    (sync / f"ready-{k}").touch()
    deadline = time.monotonic() + 30
    while not (sync / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    store = Store(root)
    for i in range(n):
        with store.new_run(f"[cohort]\nn = {i}\n", seed=i, name=f"p{k}-{i}") as run:
            run.write_table("trajectories", df.assign(pain=df.pain + i))
            run.set_summary({"writer": k, "i": i})
        print(run.run_id, flush=True)
elif mode == "lock":
    import duckdb

    con = duckdb.connect(str(Path(root) / "painsim.duckdb"))
    print("READY", flush=True)
    time.sleep(float(sys.argv[3]))
    con.close()
elif mode == "rebuild-hang":
    from painsim.store import integrity

    write_index = integrity._write_index

    def _write_then_hang(path, rows, timeout):
        write_index(path, rows, timeout)
        print("READY", path, flush=True)
        time.sleep(60)

    integrity._write_index = _write_then_hang
    Store(root).rebuild()
