"""The same digits on every x86-64 machine: painsim pins OpenBLAS's kernels before numpy loads."""

import os
import subprocess
import sys

import pytest

from painsim import _blas

QUALIFIES = _blas.should_pin({}, __import__("platform").machine(), _blas.cpu_flags(), numpy_loaded=False)


def test_the_pin_is_set_only_where_it_can_work_and_nobody_chose() -> None:
    flags = frozenset({"avx2", "fma", "sse4_2"})
    assert _blas.should_pin({}, "x86_64", flags, numpy_loaded=False)
    assert not _blas.should_pin({"OPENBLAS_CORETYPE": "SkylakeX"}, "x86_64", flags, numpy_loaded=False)
    assert not _blas.should_pin({}, "x86_64", frozenset({"avx2"}), numpy_loaded=False)  # no FMA
    assert not _blas.should_pin({}, "aarch64", flags, numpy_loaded=False)
    assert not _blas.should_pin({}, "x86_64", flags, numpy_loaded=True)  # too late: OpenBLAS is loaded


def test_cpu_flags_reads_the_flags_line(tmp_path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu avx2 fma\n")
    assert _blas.cpu_flags(str(info)) == frozenset({"fpu", "avx2", "fma"})
    assert _blas.cpu_flags(str(tmp_path / "missing")) == frozenset()


def _import_and_report(code: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.mark.skipif(not QUALIFIES, reason="needs Linux x86-64 with AVX2 and FMA")
def test_importing_painsim_first_pins_the_kernels_and_importing_numpy_first_does_not() -> None:
    assert _import_and_report("import painsim, os; print(os.environ['OPENBLAS_CORETYPE'])") == _blas.CORETYPE
    late = "import numpy, painsim, os; print(painsim._blas.PINNED, os.environ.get('OPENBLAS_CORETYPE'))"
    assert _import_and_report(late) == "False None"


@pytest.mark.skipif(not QUALIFIES, reason="needs Linux x86-64 with AVX2 and FMA")
def test_the_test_session_runs_with_the_pinned_kernels() -> None:
    """tests/conftest.py imports painsim before anything loads numpy (the golden files were
    recorded with these kernels)."""
    assert os.environ.get("OPENBLAS_CORETYPE") == _blas.CORETYPE
