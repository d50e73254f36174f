"""tools/model_converters/van2mmattn.py: mmpretrain's VAN layout in,
mmattn's out, and foreign keys refused."""
import re

import torch
from conftest import assert_same_weights, run_tool

from mmattn.models.backbones.van import VAN

ARCH = dict(embed_dims=[8, 16, 24, 32], depths=[1, 2, 1, 1],
            mlp_ratios=[8, 8, 4, 4])


def mmpretrain_checkpoint(model):
    """``model``'s weights as mmpretrain saves a VAN classifier."""
    renames = [(r'^block(\d)\.', r'blocks\1.'),
               (r'\.proj\.', '.projection.'),
               (r'\.conv0\.', '.DW_conv.'),
               (r'\.conv_spatial\.', '.DW_D_conv.')]
    state_dict = {}
    for key, value in model.state_dict().items():
        for pattern, replacement in renames:
            key = re.sub(pattern, replacement, key)
        state_dict['backbone.' + key] = value
    state_dict['head.fc.weight'] = torch.zeros(1000, 32)
    state_dict['head.fc.bias'] = torch.zeros(1000)
    return dict(meta=dict(), state_dict=state_dict)


def test_van2mmattn(tmp_path):
    torch.manual_seed(0)
    model = VAN(ARCH)
    model.init_weights()
    src, dst = tmp_path / 'mmpretrain.pth', tmp_path / 'out' / 'van.pth'
    torch.save(mmpretrain_checkpoint(model), src)
    result = run_tool('model_converters/van2mmattn.py', src, dst,
                      cwd=tmp_path)
    assert 'mmpretrain layout' in result.output
    assert "depths': [1, 2, 1, 1]" in result.output
    assert_same_weights(dst, model)


def test_van2mmattn_rejects_foreign_keys(tmp_path):
    checkpoint = mmpretrain_checkpoint(VAN(ARCH))
    checkpoint['state_dict']['backbone.block9.weight'] = torch.zeros(1)
    src = tmp_path / 'bad.pth'
    torch.save(checkpoint, src)
    result = run_tool('model_converters/van2mmattn.py', src,
                      tmp_path / 'out.pth', cwd=tmp_path, check=False)
    assert result.returncode != 0
    assert 'block9.weight' in result.output
