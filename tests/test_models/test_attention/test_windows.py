"""The window helpers of SAN and LR-Net: reflection padding for any size,
the taps against ``F.unfold``, and the tap-by-tap weighted sum."""
import pytest
import torch
import torch.nn.functional as F

from mmattn.models.attention._windows import aggregate, reflect_pad, windows


@pytest.mark.parametrize('size, pad', [((5, 4), 3), ((7, 9), 2), ((2, 3), 1)])
def test_reflect_pad_is_torchs_where_torch_defines_it(size, pad):
    x = torch.randn(2, 3, *size)
    torch.testing.assert_close(
        reflect_pad(x, pad), F.pad(x, [pad] * 4, mode='reflect'))


def test_reflect_pad_repeats_the_reflection_on_small_maps():
    row = torch.tensor([[[[1., 2.]]]])  # 1×2
    padded = reflect_pad(row, 3)
    # a one-pixel side is replicated; two pixels alternate
    assert padded.shape == (1, 1, 7, 8)
    assert padded[0, 0, :, 0].eq(2).all()
    assert padded[0, 0, 0].tolist() == [2., 1., 2., 1., 2., 1., 2., 1.]


@pytest.mark.parametrize('stride, dilation', [(1, 1), (2, 1), (1, 2)])
def test_windows_are_unfolds_taps(stride, dilation):
    x = torch.randn(2, 3, 7, 6)
    k, pad = 3, dilation
    out_size = (-(-7 // stride), -(-6 // stride))
    taps = windows(F.pad(x, [pad] * 4), k, out_size, stride, dilation)
    unfolded = F.unfold(x, k, dilation=dilation, padding=pad, stride=stride)
    torch.testing.assert_close(taps.flatten(1, 2).flatten(2), unfolded)


def test_aggregate_is_the_weighted_sum_of_the_taps():
    x = torch.randn(2, 4, 5, 6)
    weights = torch.randn(2, 1, 9, 5, 6)  # shared by the 4 channels
    padded = F.pad(x, [1] * 4)
    expected = (windows(padded, 3, (5, 6)) * weights).sum(2)
    torch.testing.assert_close(aggregate(padded, weights, 3), expected)
