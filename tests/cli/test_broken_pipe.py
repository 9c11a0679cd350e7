"""A reader that goes away (`painsim schema | head -1`) stops painsim quietly: no
"internal error" and no traceback (a newcomer piping output met one)."""

import subprocess
import sys


def test_a_closed_pipe_is_not_an_internal_error():
    code = ("import sys; from painsim.cli.app import main; sys.argv = ['painsim', 'schema', '--builtin-only']; "
            "main()")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # hang up before painsim writes, as `head` does once it has its lines
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "internal error" not in stderr and "Traceback" not in stderr, stderr
    assert proc.returncode in (0, 1)
