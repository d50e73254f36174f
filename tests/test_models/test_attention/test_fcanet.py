"""FcaNet: the DCT buffers against the analytic DCT, the official layer on
any input size, and the export-friendly adaptive pooling."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.fft import dct

from mmattn.models.attention._gates import (adaptive_avg_pool2d,
                                            adaptive_avg_pool2d_matmul)
from mmattn.models.attention.fcanet import FcaNet

TOP16 = [(0, 0), (0, 1), (6, 0), (0, 5), (0, 2), (1, 0), (1, 2), (4, 0),
         (5, 0), (1, 6), (3, 0), (0, 4), (0, 6), (0, 3), (3, 5), (2, 2)]


def dct_matrix(n):
    """Rows: the orthonormal DCT-II basis vectors of length n."""
    return dct(np.eye(n), norm='ortho', axis=0)


@pytest.mark.parametrize('size,scale', [(7, 1), (14, 2)])
def test_dct_buffer_is_the_analytic_dct(size, scale):
    block = FcaNet(64, dct_size=size)
    basis = dct_matrix(size)
    filters = block.dct_filter.double().numpy()
    assert filters.shape == (64, size, size)
    for i, (u, v) in enumerate(TOP16):  # 4 channels per frequency
        expected = np.outer(basis[u * scale], basis[v * scale])
        for c in range(4 * i, 4 * i + 4):
            np.testing.assert_allclose(filters[c], expected, atol=1e-6)


def test_frequencies_are_orthonormal():
    filters = FcaNet(16).dct_filter.flatten(1).double()
    torch.testing.assert_close(
        filters @ filters.t(), torch.eye(16, dtype=torch.float64),
        atol=1e-6, rtol=0)


def test_filters_are_not_saved():
    block = FcaNet(32)
    assert 'dct_filter' not in block.state_dict()
    assert dict(block.named_buffers())['dct_filter'].shape == (32, 7, 7)


@pytest.mark.parametrize('method,first', [('low4', (0, 1)), ('bot2', (1, 4)),
                                          ('top1', None)])
def test_frequency_selection(method, first):
    block = FcaNet(32, freq_sel_method=method)
    n = int(method[3:])
    basis = dct_matrix(7)
    if first is not None:  # the second frequency of the list
        expected = np.outer(basis[first[0]], basis[first[1]])
        np.testing.assert_allclose(
            block.dct_filter[32 // n].numpy(), expected, atol=1e-6)
    else:
        assert torch.allclose(block.dct_filter, block.dct_filter[0])


@pytest.mark.parametrize('size', [(7, 7), (13, 9), (1, 1), (30, 20)])
def test_matches_the_official_layer(size):
    """``MultiSpectralAttentionLayer``: adaptive pool to the DCT size when
    needed, DCT pooling, Linear (no bias) - ReLU - Linear - sigmoid."""
    torch.manual_seed(0)
    block = FcaNet(32)
    x = torch.randn(2, 32, *size)
    pooled = x if size == (7, 7) else F.adaptive_avg_pool2d(x, (7, 7))
    y = (pooled * block.dct_filter).sum((2, 3))
    hidden = F.relu(F.linear(y, block.fc.fc1.weight.flatten(1)))
    gate = torch.sigmoid(F.linear(hidden, block.fc.fc2.weight.flatten(1)))
    torch.testing.assert_close(block(x), x * gate[..., None, None])
    assert block.fc.fc1.bias is None and block.fc.fc1.out_channels == 2


@pytest.mark.parametrize('in_size,out_size', [((1, 1), (7, 7)),
                                              ((9, 13), (7, 7)),
                                              ((7, 9), (3, 5)),
                                              ((14, 14), (7, 7)),
                                              ((5, 100), (7, 7))])
def test_matmul_adaptive_pool_equals_native(in_size, out_size):
    x = torch.randn(2, 3, *in_size)
    torch.testing.assert_close(
        adaptive_avg_pool2d_matmul(x, out_size),
        F.adaptive_avg_pool2d(x, out_size))
    torch.testing.assert_close(
        adaptive_avg_pool2d(x, out_size), F.adaptive_avg_pool2d(x, out_size))
