"""DNL against mmseg's DisentangledNonLocal2d (same state dict, with and
without a norm), no HW×HW tensor, the whitening and the unary term, init,
torch.compile and bad arguments."""
import pytest
import torch
from block_checks import largest_tensor_of_step, randomised
from mmengine.model import initialize
from mmseg.models.decode_heads.dnl_head import DisentangledNonLocal2d

from mmattn.models.attention.dnl import DNL


@pytest.mark.parametrize('norm_cfg', [None, dict(type='BN')])
@pytest.mark.parametrize('use_scale, temperature', [(True, 0.05),
                                                    (False, 0.5)])
def test_loads_mmseg_weights_and_gives_its_output(norm_cfg, use_scale,
                                                  temperature):
    theirs = randomised(
        DisentangledNonLocal2d(
            16,
            reduction=2,
            use_scale=use_scale,
            norm_cfg=norm_cfg,
            mode='embedded_gaussian',
            temperature=temperature))
    ours = DNL(
        16, use_scale=use_scale, temperature=temperature,
        norm_cfg=norm_cfg).eval()
    ours.load_state_dict(theirs.state_dict())  # strict: same keys
    x = torch.randn(2, 16, 8, 6)
    with torch.no_grad():
        torch.testing.assert_close(
            ours(x), theirs(x.clone()), atol=1e-5, rtol=1e-5)


def test_is_the_whitened_pairwise_plus_the_unary_term():
    block = randomised(DNL(16))
    x = torch.randn(2, 16, 5, 7)
    q = block.theta(x).flatten(2)  # N×C'×HW
    k = block.phi(x).flatten(2)
    g = block.g(x).flatten(2)
    q, k = q - q.mean(2, keepdim=True), k - k.mean(2, keepdim=True)
    pairwise = (q.transpose(1, 2) @ k / (8**0.5 * 0.05)).softmax(-1)
    unary = block.conv_mask(x).flatten(2).softmax(-1)  # N×1×HW
    y = g @ pairwise.transpose(1, 2) + g @ unary.transpose(1, 2)
    with torch.no_grad():
        torch.testing.assert_close(
            block(x),
            x + block.conv_out(y.view(2, 8, 5, 7)),
            atol=1e-5,
            rtol=1e-5)


@pytest.mark.parametrize('train', [False, True])
def test_no_hw_by_hw_tensor(train):
    x = torch.randn(1, 16, 12, 12)
    numel, op = largest_tensor_of_step(randomised(DNL(16)), x, train)
    assert numel <= 16 * 144, op  # the input's size; HW×HW is 144²


@pytest.mark.parametrize('norm_cfg', [None, dict(type='BN')])
def test_init_weights_zeroes_the_output_after_a_host_init(norm_cfg):
    block = DNL(16, norm_cfg=norm_cfg)
    initialize(block, [
        dict(type='Kaiming', layer='Conv2d'),
        dict(type='Constant', val=1, layer='_BatchNorm')
    ])
    block.init_weights()
    zeroed = block.conv_out.norm if norm_cfg else block.conv_out.conv
    assert not zeroed.weight.any()
    for conv in (block.g.conv, block.conv_mask):
        assert 0 < conv.weight.std() < 0.02  # N(0, 0.01)


@pytest.mark.parametrize(
    'kwargs, arg',
    [
        (dict(reduction=0), 'reduction'),
        (dict(reduction=True), 'reduction'),
        (dict(reduction=32), 'ratio'),  # 16 // 32 leaves no channels
        (dict(temperature=0), 'temperature'),
        (dict(temperature='0.05'), 'temperature'),
    ])
def test_bad_arguments(kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        DNL(16, **kwargs)
