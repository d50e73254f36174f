"""tools/model_converters/conv2former2mmattn.py: the official Conv2Former
checkpoint layout in, mmattn's out, and foreign keys refused."""
import re

import torch
from conftest import run_tool

from mmattn.checkpoint import load_state_dict_file

from mmattn.models.backbones.conv2former import Conv2Former

ARCH = dict(kernel_size=5, embed_dims=[8, 16, 24, 32], depths=[1, 2, 1, 1])
# mmattn key -> official key (HVision-NKU/Conv2Former models/conv2former.py)
TO_OFFICIAL = [(r'\.attn\.fc_a\.', '.attn.att.0.'),
               (r'\.attn\.dwconv\.', '.attn.att.2.'),
               (r'\.attn\.fc_v\.', '.attn.v.')]


def official_checkpoint(model):
    """``model``'s weights as the official training script saves them."""
    state_dict = {}
    for key, value in model.state_dict().items():
        if key.startswith('norm'):
            continue  # mmattn's output norms are not in the official model
        for pattern, replacement in TO_OFFICIAL:
            key = re.sub(pattern, replacement, key)
        state_dict[key] = value
    state_dict.update({
        'head.0.weight': torch.zeros(1280, 32, 1, 1),
        'head.0.bias': torch.zeros(1280),
        'head.2.weight': torch.ones(1280),
        'head.2.bias': torch.zeros(1280),
        'pred.weight': torch.zeros(1000, 1280),
        'pred.bias': torch.zeros(1000)})
    return dict(epoch=299, arch='conv2former_t', version=2,
                state_dict=state_dict)


def test_conv2former2mmattn(tmp_path):
    torch.manual_seed(0)
    model = Conv2Former(ARCH)
    model.init_weights()
    src = tmp_path / 'conv2former.pth.tar'
    dst = tmp_path / 'out' / 'conv2former.pth'
    torch.save(official_checkpoint(model), src)
    result = run_tool('model_converters/conv2former2mmattn.py', src, dst,
                      cwd=tmp_path)
    assert "'depths': [1, 2, 1, 1]" in result.output
    assert "'kernel_size': 5" in result.output
    # every weight of the backbone but its output norms, which the official
    # classifier has no counterpart of
    saved = load_state_dict_file(str(dst))
    expected = {k: v for k, v in model.state_dict().items()
                if not k.startswith('norm')}
    assert saved.keys() == expected.keys()
    for key, value in expected.items():
        assert torch.equal(saved[key], value), key


def test_conv2former2mmattn_rejects_foreign_keys(tmp_path):
    checkpoint = official_checkpoint(Conv2Former(ARCH))
    checkpoint['state_dict']['stages.1.0.attn.gate.weight'] = torch.zeros(1)
    src = tmp_path / 'bad.pth.tar'
    torch.save(checkpoint, src)
    result = run_tool('model_converters/conv2former2mmattn.py', src,
                      tmp_path / 'out.pth', cwd=tmp_path, check=False)
    assert result.returncode != 0
    assert 'stages.1.0.attn.gate.weight' in result.output
