"""EncodingContext against mmseg's EncModule (a port of the official
EncModule) with the same weights."""
import pytest
import torch
from mmseg.models.decode_heads.enc_head import EncModule

from mmattn.models.attention.encoding_context import EncodingContext


def reference_with_same_weights(block):
    ref = EncModule(
        block.fc.in_features, block.codewords.shape[0], conv_cfg=None,
        norm_cfg=dict(type='BN'), act_cfg=dict(type='ReLU'))
    ref.encoding_project.load_state_dict(block.project.state_dict())
    encoding, norm = ref.encoding[0], ref.encoding[1]
    encoding.codewords.data.copy_(block.codewords)
    encoding.scale.data.copy_(block.scale)
    norm.load_state_dict(block.code_norm.state_dict())
    ref.fc[0].load_state_dict(block.fc.state_dict())
    return ref


@pytest.mark.parametrize('mode', ['train', 'eval'])
def test_matches_mmseg_enc_module(mode):
    torch.manual_seed(0)
    block = EncodingContext(16, num_codes=6)
    with torch.no_grad():
        block.code_norm.running_mean.normal_()
        block.code_norm.running_var.uniform_(0.5, 2)
    ref = reference_with_same_weights(block)
    block.train(mode == 'train')
    ref.train(mode == 'train')
    x = torch.randn(2, 16, 5, 7)
    encoded, expected = ref(x)
    torch.testing.assert_close(block(x), expected, atol=1e-5, rtol=1e-5)


def test_encoding_is_float32_under_autocast():
    torch.manual_seed(0)
    block = EncodingContext(16, num_codes=4).eval()
    seen = {}
    block.code_norm.register_forward_pre_hook(
        lambda m, args: seen.update(encoded=args[0]))
    x = torch.randn(2, 16, 5, 7)
    with torch.no_grad():
        ref = block(x)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            out = block(x.bfloat16())
    assert seen['encoded'].dtype == torch.float32
    torch.testing.assert_close(out.float(), ref, atol=5e-2, rtol=5e-2)


def test_codeword_init():
    block = EncodingContext(64, num_codes=32)
    bound = (32 * 64)**-0.5
    assert block.codewords.abs().max() <= bound
    assert ((block.scale >= -1) & (block.scale <= 0)).all()
