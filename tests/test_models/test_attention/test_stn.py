"""STN: identity at init, its affine grid against ``F.affine_grid``, a known
transform, and float32 sampling under autocast."""
import pytest
import torch
import torch.nn.functional as F

from mmattn.models.attention.stn import STN, affine_grid


@pytest.mark.parametrize('size', [(7, 9), (1, 1), (16, 16), (2, 31)])
def test_identity_at_init(size):
    torch.manual_seed(0)
    block = STN(16)
    x = torch.randn(2, 16, *size)
    for mode in (True, False):
        torch.testing.assert_close(block.train(mode)(x), x, atol=1e-5,
                                   rtol=0)


def test_init_weights_restores_the_identity():
    block = STN(16)
    with torch.no_grad():
        block.regressor.weight.normal_()
        block.regressor.bias.normal_()
    block.init_weights()
    assert torch.equal(block.regressor.weight, torch.zeros(6, 4 * 2))
    assert block.regressor.bias.tolist() == [1., 0., 0., 0., 1., 0.]


@pytest.mark.parametrize('size', [(7, 9), (1, 1), (4, 6)])
def test_affine_grid_matches_torch(size):
    theta = torch.randn(3, 2, 3)
    torch.testing.assert_close(
        affine_grid(theta, *size),
        F.affine_grid(theta, (3, 1, *size), align_corners=False))


def test_a_regressed_translation_moves_the_map():
    block = STN(16).eval()
    with torch.no_grad():  # x' = x + 2/W · 1: sample one pixel to the right
        block.regressor.bias.copy_(torch.tensor([1., 0., 2 / 8, 0., 1., 0.]))
    x = torch.randn(1, 16, 5, 8)
    out = block(x)
    torch.testing.assert_close(out[..., :-1], x[..., 1:])
    assert torch.equal(out[..., -1], torch.zeros_like(out[..., -1]))


def test_samples_in_float32_under_autocast():
    block = STN(16).eval()
    x = torch.randn(1, 16, 9, 128)
    with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16):
        out = block(x.bfloat16())
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out, x.bfloat16(), atol=0, rtol=0)
