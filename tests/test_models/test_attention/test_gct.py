"""GCT against the official formula in both modes, and its identity init."""
import pytest
import torch

from mmattn.models.attention.gct import GCT


def official(x, alpha, gamma, beta, eps, mode, after_relu):
    """``GCT.forward`` of the official PyTorch code."""
    if mode == 'l2':
        embedding = (x.pow(2).sum((2, 3), keepdim=True) + eps).pow(0.5) * alpha
        norm = gamma / (embedding.pow(2).mean(dim=1, keepdim=True) +
                        eps).pow(0.5)
    else:
        _x = x if after_relu else torch.abs(x)
        embedding = _x.sum((2, 3), keepdim=True) * alpha
        norm = gamma / (torch.abs(embedding).mean(dim=1, keepdim=True) + eps)
    return x * (1. + torch.tanh(embedding * norm + beta))


@pytest.mark.parametrize('mode,after_relu', [('l2', False), ('l1', False),
                                             ('l1', True)])
def test_matches_the_official_code(mode, after_relu):
    torch.manual_seed(0)
    block = GCT(32, mode=mode, after_relu=after_relu)
    with torch.no_grad():
        for p in block.parameters():
            p.normal_()
    x = torch.randn(2, 32, 5, 6)
    if after_relu:
        x = x.relu()
    expected = official(x, block.alpha, block.gamma, block.beta, 1e-5, mode,
                        after_relu)
    torch.testing.assert_close(block(x), expected)


def test_identity_until_trained():
    block = GCT(16)
    with torch.no_grad():
        block.gamma.fill_(0.7)
        block.beta.fill_(-0.2)
        block.alpha.fill_(3.0)
    x = torch.randn(2, 16, 4, 4)
    assert not torch.equal(block(x), x)
    block.init_weights()
    assert torch.equal(block(x), x)
    assert torch.equal(block.alpha, torch.ones(1, 16, 1, 1))
