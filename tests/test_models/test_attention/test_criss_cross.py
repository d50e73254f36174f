"""CrissCross against mmcv's CrissCrossAttention (same state dict, one and
two passes, forward and gradients, degenerate sizes), memory by design (no
tensor beyond O(HW·(H+W)) or the C-channel maps), and bad arguments."""
import pytest
import torch
from largest_tensor import largest_tensor
from mmcv.ops import CrissCrossAttention

from mmattn.models.attention.criss_cross import CrissCross


def pair(recurrence):
    torch.manual_seed(0)
    theirs = CrissCrossAttention(16)
    with torch.no_grad():
        for param in theirs.parameters():
            param.normal_(0, 0.3)
    ours = CrissCross(16, recurrence=recurrence)
    ours.load_state_dict(theirs.state_dict())  # strict: same keys
    return ours, theirs


@pytest.mark.parametrize('shape', [(2, 16, 7, 9), (1, 16, 1, 5),
                                   (1, 16, 6, 1), (2, 16, 1, 1)])
@pytest.mark.parametrize('recurrence', [1, 2])
def test_matches_mmcv(shape, recurrence):
    """R passes of mmcv's module with the same weights, values and
    gradients; the centre of the cross is counted once in both."""
    ours, theirs = pair(recurrence)
    x = torch.randn(*shape, requires_grad=True)
    ref = x
    for _ in range(recurrence):
        ref = theirs(ref)
    out = ours(x)
    torch.testing.assert_close(out, ref)
    grad_out = torch.randn(shape)
    grads = torch.autograd.grad(out, [x, *ours.parameters()], grad_out)
    refs = torch.autograd.grad(ref, [x, *theirs.parameters()], grad_out)
    for grad, expected in zip(grads, refs):
        torch.testing.assert_close(grad, expected, atol=1e-4, rtol=1e-4)


def test_column_chunks_do_not_change_the_result():
    ours, theirs = pair(1)
    x = torch.randn(2, 16, 5, 11)
    for chunks in (1, 3, 11, 20):
        ours.chunks = chunks
        with torch.no_grad():
            torch.testing.assert_close(ours(x), theirs(x))


def test_memory_is_linear_in_the_cross_by_design():
    h, w = 12, 10
    block = CrissCross(16, reduction=4)
    x = torch.randn(1, 16, h, w, requires_grad=True)
    numel, op = largest_tensor(lambda t: block(t).sum().backward(), x)
    # the logits (HW·(H+W)) or the q/k/v tokens (HW·(C + 2C'))
    assert numel <= h * w * max(h + w, 16 + 2 * 4), op
    assert numel < (h * w)**2 / 4


def test_init_weights_zeroes_gamma():
    ours, _ = pair(2)
    ours.init_weights()
    assert ours.gamma.scale.item() == 0


@pytest.mark.parametrize('kwargs,arg', [
    (dict(recurrence=0), 'recurrence'),
    (dict(reduction=32), 'reduction'),
])
def test_bad_arguments(kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        CrissCross(16, **kwargs)
