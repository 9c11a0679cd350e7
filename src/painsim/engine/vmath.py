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
  polynomial of degree 13 (truncation below 1e-17 relative): at most 2 units in the last
  place (ulp) on [-708, 709]; 0 below -708, inf above 709.
* :func:`log`: fdlibm's ``e_log`` (the mantissa reduced to [sqrt(2)/2, sqrt(2)), the
  degree-14 polynomial in ``s = f / (2 + f)``): at most 1 ulp, for positive normal
  floats (the uniform draws of :mod:`painsim.engine.rng` are in [2**-54, 1)).
* :func:`cos2pi`: ``cos(2 pi u)`` by exact reduction of ``u`` to an eighth of a turn and
  Taylor polynomials of sin and cos on [-pi/4, pi/4]: within 7e-16 absolute of
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
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
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
    t = 4.0 * (u - np.floor(u + 0.5))  # exact: a quarter turn per unit, in [-2, 2]
    q = np.floor(t + 0.5)
    a = (0.25 * _TWO_PI) * (t - q)  # the angle left, in [-pi/4, pi/4]
    a2 = a * a
    c = 1.0 / 20922789888000.0
    c = c * -a2 + 1.0 / 87178291200.0
    c = c * -a2 + 1.0 / 479001600.0
    c = c * -a2 + 1.0 / 3628800.0
    c = c * -a2 + 1.0 / 40320.0
    c = c * -a2 + 1.0 / 720.0
    c = c * -a2 + 1.0 / 24.0
    c = c * -a2 + 0.5
    c = c * -a2 + 1.0
    s = 1.0 / 355687428096000.0
    s = s * -a2 + 1.0 / 1307674368000.0
    s = s * -a2 + 1.0 / 6227020800.0
    s = s * -a2 + 1.0 / 39916800.0
    s = s * -a2 + 1.0 / 362880.0
    s = s * -a2 + 1.0 / 5040.0
    s = s * -a2 + 1.0 / 120.0
    s = s * -a2 + 1.0 / 6.0
    s = a - a * a2 * s
    # cos(a + q pi/2): q = 0: cos a; 1: -sin a; -1: sin a; +-2: -cos a
    odd = (q == 1.0) | (q == -1.0)
    v = s if odd else c
    neg = (q == 1.0) | (q == 2.0) | (q == -2.0)
    return -v if neg else v


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
