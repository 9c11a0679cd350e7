"""Two processes creating a store at once: the second may open painsim.duckdb before the first
has written DuckDB's headers. That must be waited for, like a lock, not called damage; a short
file that never becomes a database is still reported as damaged, after a bounded wait."""

import os
import threading
import time

import duckdb
import pytest

from painsim.store._db import CREATION_WAIT, HEADER_BYTES, connect
from painsim.store.errors import DamagedIndexError


def test_a_database_being_created_is_waited_for(tmp_path):
    path = tmp_path / "painsim.duckdb"
    path.write_bytes(b"")  # what a second process sees while the first creates the file

    def create_after_a_moment():
        time.sleep(0.3)
        ready = tmp_path / "ready.duckdb"
        con = duckdb.connect(str(ready))
        con.execute("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7)")
        con.close()
        os.replace(ready, path)

    creator = threading.Thread(target=create_after_a_moment)
    creator.start()
    with connect(path, read_only=False, timeout=10) as con:
        assert con.execute("SELECT x FROM t").fetchone() == (7,)
    creator.join()


def test_a_short_file_that_never_becomes_a_database_is_damaged(tmp_path):
    path = tmp_path / "painsim.duckdb"
    path.write_bytes(b"not a database")
    assert path.stat().st_size < HEADER_BYTES
    started = time.monotonic()
    with pytest.raises(DamagedIndexError, match="damaged or unreadable"), connect(path, read_only=False, timeout=10):
        pass
    assert time.monotonic() - started < CREATION_WAIT + 5


def test_a_large_damaged_file_is_reported_at_once(tmp_path):
    path = tmp_path / "painsim.duckdb"
    path.write_bytes(b"x" * (2 * HEADER_BYTES))
    with pytest.raises(DamagedIndexError), connect(path, read_only=False, timeout=10):
        pass
