"""Who may clean up a leftover folder: dead, reused or foreign writers; never a live one."""

import json
import os
import socket
import sys
import time

import pytest

from painsim.store import _fs


@pytest.mark.skipif(sys.platform != "linux", reason="process start times come from /proc")
def test_pid_alive_detects_dead_and_reused_pids():
    me = os.getpid()
    assert _fs.pid_alive(me) is True
    assert _fs.pid_alive(me, _fs.process_start_ticks(me)) is True
    assert _fs.pid_alive(me, (_fs.process_start_ticks(me) or 0) + 1) is False  # same PID, another process
    assert _fs.pid_alive(999_999_999) is False
    assert _fs.pid_alive(0) is False


def _folder(tmp_path, record, age_s):
    folder = tmp_path / "run"
    folder.mkdir()
    if record is not None:
        (folder / _fs.WRITER_FILE).write_text(json.dumps(record))
    old = time.time() - age_s
    for path in (folder, *folder.iterdir()):
        os.utime(path, (old, old))
    return folder


@pytest.mark.parametrize(("record", "age_s", "gone"), [
    ({"pid": os.getpid(), "host": socket.gethostname()}, 10 * 3600, False),  # live writer: kept, however old
    ({"pid": 999_999_999, "host": socket.gethostname()}, 0, True),           # dead writer: removed at once
    ({"pid": os.getpid(), "host": "elsewhere"}, 60, False),                 # other host: wait an hour
    ({"pid": os.getpid(), "host": "elsewhere"}, 2 * 3600, True),
    (None, 60, False),                                                      # no record: wait an hour
    (None, 2 * 3600, True),
])
def test_writer_gone(tmp_path, record, age_s, gone):
    assert _fs.writer_gone(_folder(tmp_path, record, age_s)) is gone
