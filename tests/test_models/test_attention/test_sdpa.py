"""softmax_attention: exact against the explicit softmax for equal and
unequal widths, and it runs on the fused kernel (never the math fallback
that builds the L×S matrix), with and without autograd."""
import pytest
import torch
from torch.profiler import profile

from mmattn.models.attention._sdpa import softmax_attention

WIDTHS = [(8, 8), (4, 16), (16, 4)]  # (q/k width, v width)


def explicit(q, k, v, scale):
    return torch.softmax(q @ k.transpose(1, 2) * scale, dim=-1) @ v


def inputs(dim, v_dim, requires_grad=False):
    torch.manual_seed(0)
    q = torch.randn(2, 11, dim, requires_grad=requires_grad)
    k = torch.randn(2, 7, dim, requires_grad=requires_grad)
    v = torch.randn(2, 7, v_dim, requires_grad=requires_grad)
    return q, k, v


@pytest.mark.parametrize('dim,v_dim', WIDTHS)
@pytest.mark.parametrize('scale', [None, 1., 0.3])
def test_matches_explicit_softmax(dim, v_dim, scale):
    q, k, v = inputs(dim, v_dim)
    out = softmax_attention(q, k, v, scale)
    assert out.shape == (2, 11, v_dim)
    ref = explicit(q, k, v, dim**-0.5 if scale is None else scale)
    torch.testing.assert_close(out, ref)


@pytest.mark.parametrize('dim,v_dim', WIDTHS)
def test_gradients_match_explicit_softmax(dim, v_dim):
    q, k, v = inputs(dim, v_dim, requires_grad=True)
    grads = torch.autograd.grad(
        softmax_attention(q, k, v, 0.5).square().sum(), (q, k, v))
    refs = torch.autograd.grad(
        explicit(q, k, v, 0.5).square().sum(), (q, k, v))
    for grad, ref in zip(grads, refs):
        torch.testing.assert_close(grad, ref)


@pytest.mark.parametrize('dim,v_dim', WIDTHS)
@pytest.mark.parametrize('requires_grad', [False, True])
def test_runs_on_the_fused_kernel(dim, v_dim, requires_grad):
    q, k, v = inputs(dim, v_dim, requires_grad)
    # non-contiguous tokens, as a block hands them over
    q, k, v = (t.transpose(1, 2).contiguous().transpose(1, 2)
               for t in (q, k, v))
    with profile() as prof:
        softmax_attention(q, k, v)
    ops = {event.key for event in prof.key_averages()}
    assert 'aten::_scaled_dot_product_flash_attention_for_cpu' in ops
    assert 'aten::_scaled_dot_product_attention_math' not in ops
