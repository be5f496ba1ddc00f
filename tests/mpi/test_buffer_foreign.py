"""Arrays that describe their memory with DLPack or the CUDA array
interface (and not the buffer protocol) are buffers too, as in mpi4py."""

import numpy as np
import pytest

from mpiimpl import MPI


class DLPackOnly:
    """Exposes a NumPy array through __dlpack__ only."""

    def __init__(self, array, legacy=False):
        self.array = array
        self.legacy = legacy

    def __dlpack_device__(self):
        return self.array.__dlpack_device__()

    def __dlpack__(self, stream=None, **kwargs):
        if self.legacy and kwargs:
            raise TypeError("no max_version before DLPack 1.0")
        return self.array.__dlpack__(stream=stream, **kwargs)


class CAIOnly:
    """Describes a NumPy array's memory with __cuda_array_interface__."""

    def __init__(self, array, readonly=False, strides=None):
        self.array = array
        self.__cuda_array_interface__ = {
            "version": 3,
            "data": (array.ctypes.data, readonly),
            "shape": array.shape,
            "typestr": array.dtype.str,
            "strides": strides,
        }


def sendrecv_self(sbuf, rbuf):
    comm = MPI.COMM_SELF
    comm.Sendrecv(sbuf, 0, 7, rbuf, 0, 7)


@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("dtype", ["i4", "f8", "c16", "u1", "?"])
def test_dlpack_roundtrip(dtype, legacy):
    src = np.arange(6).astype(dtype)
    dst = np.zeros(6, dtype=dtype)
    sendrecv_self(DLPackOnly(src, legacy), DLPackOnly(dst, legacy))
    assert np.array_equal(src, dst)


def test_dlpack_with_explicit_datatype_and_count():
    src = np.arange(8, dtype="i4")
    dst = np.zeros(8, dtype="i4")
    sendrecv_self([DLPackOnly(src), 3, MPI.INT], [DLPackOnly(dst), 3, MPI.INT])
    assert list(dst[:3]) == [0, 1, 2] and not dst[3:].any()


def test_dlpack_readonly_cannot_receive():
    src = np.arange(4, dtype="i4")
    dst = np.zeros(4, dtype="i4")
    dst.flags.writeable = False
    if not hasattr(np, "from_dlpack") or np.lib.NumpyVersion(np.__version__) < "2.0.0":
        pytest.skip("NumPy before 2.0 exports no read-only flag")
    with pytest.raises((BufferError, TypeError)):
        sendrecv_self(DLPackOnly(src), DLPackOnly(dst))


def test_dlpack_not_contiguous():
    src = np.arange(8, dtype="i4")[::2]
    dst = np.zeros(4, dtype="i4")
    with pytest.raises(BufferError, match="contiguous"):
        sendrecv_self(DLPackOnly(src), dst)


def test_cai_roundtrip():
    src = np.arange(5, dtype="f8")
    dst = np.zeros(5, dtype="f8")
    sendrecv_self(CAIOnly(src), CAIOnly(dst))
    assert np.array_equal(src, dst)


def test_cai_readonly_cannot_receive():
    src = np.arange(3, dtype="i4")
    dst = np.zeros(3, dtype="i4")
    with pytest.raises(BufferError, match="not writable"):
        sendrecv_self(CAIOnly(src), CAIOnly(dst, readonly=True))


def test_cai_missing_key_and_strides():
    src = np.arange(4, dtype="i4")
    bad = CAIOnly(np.zeros(4, dtype="i4"))
    del bad.__cuda_array_interface__["data"]
    with pytest.raises(KeyError):
        sendrecv_self(src, bad)
    gappy = CAIOnly(np.zeros(8, dtype="i4")[::2], strides=(8,))
    with pytest.raises(BufferError, match="contiguous"):
        sendrecv_self(src, gappy)


def test_plain_object_still_rejected():
    with pytest.raises(TypeError, match="expected a buffer"):
        sendrecv_self(object(), np.zeros(1))
