"""Thread limits for the PyTorch side of the benchmarks.

torch.set_num_threads(N) bounds PyTorch's own (OpenMP) threads only. Debian's torch does its matrix products in the
system BLAS, OpenBLAS's pthread build by default, which keeps its own pool of one thread per core. So a PyTorch
process "with one thread" still runs its GEMMs on every core, and two DDP ranks "of one thread each" run up to four
threads on two cores. limit(N) bounds both, so that N threads means N threads, as it does for the C# side.
"""

import ctypes

import torch


def _openblas():
    # The BLAS that torch loaded, found in this process's memory map: libblas.so.3 is an alternatives link, and
    # the file behind it names the build (openblas-pthread/libopenblasp-r0.3.21.so).
    with open("/proc/self/maps") as maps:
        paths = {fields[5] for fields in map(str.split, maps) if len(fields) == 6 and "blas" in fields[5]}
    for path in sorted(paths):
        library = ctypes.CDLL(path)
        if hasattr(library, "openblas_set_num_threads") and hasattr(library, "openblas_get_num_threads"):
            return library
    return None


def limit(threads):
    """Bounds PyTorch's threads and OpenBLAS's pool (when torch uses OpenBLAS) to `threads`."""
    torch.set_num_threads(threads)
    library = _openblas()
    if library is not None:
        library.openblas_set_num_threads(threads)


def blas_threads():
    """OpenBLAS's thread count in this process, or None when torch does not use OpenBLAS."""
    library = _openblas()
    return library.openblas_get_num_threads() if library is not None else None
