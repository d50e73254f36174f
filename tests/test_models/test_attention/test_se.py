"""SE against the paper's formula, and SE-ResNet-50's official size."""
import torch
import torch.nn.functional as F
from resnet_counts import RESNET50_PARAMS, resnet50_params

from mmattn.models.attention.se import SE


def test_matches_the_formula():
    torch.manual_seed(0)
    block = SE(64)
    x = torch.randn(2, 64, 5, 7)
    fc1, fc2 = block.fc.fc1, block.fc.fc2
    z = x.mean((2, 3))
    s = torch.sigmoid(
        F.linear(F.relu(F.linear(z, fc1.weight.flatten(1), fc1.bias)),
                 fc2.weight.flatten(1), fc2.bias))
    torch.testing.assert_close(block(x), x * s[..., None, None])


def test_widths_and_biases():
    block = SE(256)
    assert block.fc.fc1.weight.shape == (16, 256, 1, 1)
    assert block.fc.fc2.weight.shape == (256, 16, 1, 1)
    assert block.fc.fc1.bias is not None and block.fc.fc2.bias is not None
    assert SE(256, ratio=8).fc.fc1.out_channels == 32
    assert SE(256, ratio=1 / 4).fc.fc1.out_channels == 64


def test_hard_sigmoid_gate():
    block = SE(16, gate_cfg=dict(type='HSigmoid'))
    x = torch.randn(2, 16, 3, 3)
    logits = block.fc(x.mean((2, 3), keepdim=True))
    torch.testing.assert_close(block(x), x * F.hardsigmoid(logits))


def test_se_resnet50_has_the_official_parameter_count():
    """SE after every conv3 (r = 16) adds 2,530,992 parameters: 28,088,024
    with the fc, the size of the official SE-ResNet-50 (28.09M)."""
    assert resnet50_params() == RESNET50_PARAMS
    se = [dict(cfg=dict(type='mmattn.SE'), position='after_conv3')]
    assert resnet50_params(se) == 28_088_024
