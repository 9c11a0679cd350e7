"""exp, log and cos(2 pi u) written in plain arithmetic, so that compiled loops vectorise them.

numba turns ``np.exp``/``np.log``/``np.cos`` into calls to the C library (libm), and a loop
that calls a function is not vectorised: the vector kernel (:mod:`painsim.engine.vkernel`)
would run one patient per instruction again. These versions use only multiplies, adds,
``floor``, selects and bit casts of the float's exponent, which LLVM turns into packed
AVX-512/AVX2 instructions across the patients of a block. The scalar kernel uses the same
functions, so both kernels give the same results bit for bit.

Maximum errors, measured against numpy (libm) by ``tests/engine/test_vmath.py`` on a few
million points each (and printed by ``python benchmarks/vector_asm.py --errors``):

* :func:`exp`: Cody-Waite reduction ``x = k ln2 + r`` with ``|r| <= ln2/2`` and the Taylor
  polynomial of degree 13 by Estrin's scheme (truncation below 1e-17 relative): at most 2 units in the last
  place (ulp) on [-708, 709]; 0 below -708, inf above 709.
* :func:`log`: fdlibm's ``e_log`` (the mantissa reduced to [sqrt(2)/2, sqrt(2)), the
  degree-14 polynomial in ``s = f / (2 + f)``): at most 1 ulp, for positive normal
  floats (the uniform draws of :mod:`painsim.engine.rng` are in [2**-54, 1)).
* :func:`cos2pi`: ``cos(2 pi u) = sin(2 pi (1/4 - |u - round(u)|))``, the reduction exact for
  the uniforms (multiples of 2**-54), and the Taylor polynomial of sin of degree 21 on
  [-pi/2, pi/2] (truncation below 2e-18): within 7e-16 absolute of
  ``np.cos(2 * np.pi * u)`` for ``u`` in [0, 1]; most of that is libm's, which rounds
  ``2 pi u`` before taking the cosine (where they differ most, at u = 0.72647..., this
  function is the closer to the exact value).

The model's equations do not change; results differ from the libm kernel by these last
bits (docs/performance.md, "The vector kernel", measures what that does to outcomes).
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numba import types
from numba.extending import intrinsic


@intrinsic
def _bits(typingctx, x):
    """The bits of a float64 as an int64 (a bit cast, no conversion)."""
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.int64))

    return sig, codegen


@intrinsic
def _float(typingctx, x):
    """The float64 whose bits are the int64 ``x``."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))

    return sig, codegen


_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_MANTISSA = (1 << 52) - 1
_ONE_BITS = 1023 << 52
_SQRT2 = 1.4142135623730951
_TWO_PI = 6.283185307179586

# fdlibm e_log.c
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01


@nb.njit(inline="always", error_model="numpy")
def exp(x):
    """``e**x`` (at most 2 ulp from libm on [-708, 709]; 0 below, inf above)."""
    xc = min(709.0, max(-708.0, x))
    k = np.floor(xc * _LOG2E + 0.5)
    r = (xc - k * _LN2_HI) - k * _LN2_LO
    # Taylor polynomial of degree 13 by Estrin's scheme (a dependency chain of 5 steps
    # instead of Horner's 13, so the scalar kernel overlaps it with its other work)
    r2 = r * r
    r4 = r2 * r2
    q0 = 1.0 + r
    q1 = 0.5 + r * (1.0 / 6.0)
    q2 = 1.0 / 24.0 + r * (1.0 / 120.0)
    q3 = 1.0 / 720.0 + r * (1.0 / 5040.0)
    q4 = 1.0 / 40320.0 + r * (1.0 / 362880.0)
    q5 = 1.0 / 3628800.0 + r * (1.0 / 39916800.0)
    q6 = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0)
    t0 = (q0 + q1 * r2) + (q2 + q3 * r2) * r4
    t1 = (q4 + q5 * r2) + q6 * r4
    p = t0 + t1 * (r4 * r4)
    y = p * _float((np.int64(k) + 1023) << 52)
    y = 0.0 if x < -708.0 else y
    return np.inf if x > 709.0 else y


@nb.njit(inline="always", error_model="numpy")
def log(x):
    """Natural log of a positive normal float (at most 1 ulp from libm)."""
    bits = _bits(x)
    k = (bits >> 52) - 1023
    m = _float((bits & _MANTISSA) | _ONE_BITS)  # in [1, 2)
    big = m > _SQRT2
    m = 0.5 * m if big else m
    k = k + 1 if big else k
    f = m - 1.0
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    r = t2 + t1
    dk = np.float64(k)
    return dk * _LN2_HI - ((hfsq - (s * (hfsq + r) + dk * _LN2_LO)) - f)


@nb.njit(inline="always", error_model="numpy")
def cos2pi(u):
    """``cos(2 pi u)`` for ``u`` in [0, 1] (within 7e-16 absolute of libm's)."""
    a = np.abs(u - np.floor(u + 0.5))  # exact: the distance to the nearest whole turn, in [0, 1/2]
    x = _TWO_PI * (0.25 - a)  # cos(2 pi a) = sin(2 pi (1/4 - a)); 1/4 - a is exact for the uniforms
    x2 = x * x
    # sin x = x (1 - x2 (1/3! - x2 (1/5! - ...))), degree 21, by Estrin's scheme in y = -x2
    y = -x2
    y2 = y * y
    y4 = y2 * y2
    q0 = 1.0 / 6.0 + y * (1.0 / 120.0)
    q1 = 1.0 / 5040.0 + y * (1.0 / 362880.0)
    q2 = 1.0 / 39916800.0 + y * (1.0 / 6227020800.0)
    q3 = 1.0 / 1307674368000.0 + y * (1.0 / 355687428096000.0)
    q4 = 1.0 / 121645100408832000.0 + y * (1.0 / 51090942171709440000.0)
    s = ((q0 + q1 * y2) + (q2 + q3 * y2) * y4) + q4 * (y4 * y4)
    return x - x * x2 * s


@nb.njit(cache=True, error_model="numpy")
def exp_array(x: np.ndarray) -> np.ndarray:
    """:func:`exp` of every element (for the error tests and benchmarks)."""
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = exp(x[i])
    return out


@nb.njit(cache=True, error_model="numpy")
def log_array(x: np.ndarray) -> np.ndarray:
    """:func:`log` of every element (for the error tests and benchmarks)."""
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = log(x[i])
    return out


@nb.njit(cache=True, error_model="numpy")
def cos2pi_array(u: np.ndarray) -> np.ndarray:
    """:func:`cos2pi` of every element (for the error tests and benchmarks)."""
    out = np.empty_like(u)
    for i in range(u.size):
        out[i] = cos2pi(u[i])
    return out
