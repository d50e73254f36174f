"""Checks the tests of several blocks share: weights drawn at random, the
largest tensor of a forward (and backward) pass, a window block in place of
mmdet Bottleneck's 3×3 conv, and torch.compile against eager.

The compile check compiles a block with inductor and compares it with eager:
the eval output under no_grad, and a training step (output, input gradient
and every parameter's gradient), each on its own copy of the block so that
BN statistics and random draws start alike. Results agree to ``rtol``
relative to their largest element: inductor fuses and reorders the float32
sums, so an element near zero may differ by more than ``rtol`` of itself,
not by more than ``rtol`` of the result. The parameter gradients are one
result (one optimizer step), so a gradient that is zero but for rounding (a
bias that a norm or a softmax cancels) is held to the scale of the others.
"""
import copy

import torch
from conftest import assert_close_to_scale
from largest_tensor import largest_tensor


def randomised(module, std=0.3):
    """``module`` in eval mode with every parameter drawn from N(0, std²)
    and BN statistics at random (zero-initialised outputs would hide every
    difference); seeded, so two calls give the same weights."""
    torch.manual_seed(0)
    with torch.no_grad():
        for param in module.parameters():
            param.normal_(0, std)
        for m in module.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2)
    return module.eval()


def assert_replaces_bottleneck_conv(cls):
    """``cls`` built through mmdet Bottleneck's ``dcn`` slot takes the place
    of its stride-2 3×3 conv: the host's ``kernel_size=3`` arrives, and
    ``window_size`` (3 here) would override it."""
    from mmdet.models.backbones.resnet import Bottleneck
    block = Bottleneck(
        64,
        16,
        stride=2,
        dcn=dict(type=cls, window_size=3),
        downsample=torch.nn.Conv2d(64, 64, 1, stride=2))
    assert isinstance(block.conv2, cls) and block.conv2.kernel_size == 3
    assert block(torch.randn(2, 64, 7, 9)).shape == (2, 64, 4, 5)


def largest_tensor_of_step(block, x, train):
    """``(numel, op)`` of the largest tensor of ``block(x)`` in eval mode
    without gradients, or of a training step with backward."""
    block.train(train)
    x = x.detach().requires_grad_(train)

    def run(t):
        out = block(t)
        if train:
            out.sum().backward()

    with torch.set_grad_enabled(train):
        return largest_tensor(run, x)


def _train_step(block, x, grad):
    x = x.clone().requires_grad_()
    out = block(x)
    out.backward(grad)
    module = getattr(block, '_orig_mod', block)  # under torch.compile
    return out.detach(), x.grad, {
        name: p.grad
        for name, p in module.named_parameters()
    }


def assert_compiles_like_eager(block, x, rtol=1e-4, seed=0):
    """Compile ``block`` (inductor) and compare with eager, in eval under
    no_grad and in a training step with backward. ``seed`` is set before
    each call, for blocks that draw random numbers (run them with
    ``torch._inductor.config.fallback_random`` so that inductor draws as
    eager does)."""
    torch._dynamo.reset()
    eager = copy.deepcopy(block).eval()
    compiled = torch.compile(copy.deepcopy(block).eval(), backend='inductor')
    with torch.no_grad():
        torch.manual_seed(seed)
        ref = eager(x)
        torch.manual_seed(seed)
        out = compiled(x)
    assert_close_to_scale(out, ref, rtol, 'eval output')

    torch._dynamo.reset()
    grad = torch.randn_like(ref)
    eager = copy.deepcopy(block).train()
    compiled = torch.compile(copy.deepcopy(block).train(), backend='inductor')
    torch.manual_seed(seed)
    ref = _train_step(eager, x, grad)
    torch.manual_seed(seed)
    out = _train_step(compiled, x, grad)
    names = ('train output', 'input gradient', 'parameter gradients')
    for what, o, r in zip(names, out, ref):
        assert_close_to_scale(o, r, rtol, what)
