"""OCR against mmseg's SpatialGatherModule + ObjectAttentionBlock (same
state dict, the block's own region logits), the classifier's class count,
torch.compile and bad arguments."""
import pytest
import torch
from block_checks import randomised
from mmseg.models.decode_heads.ocr_head import (ObjectAttentionBlock,
                                                SpatialGatherModule)

from mmattn.models.attention.ocr import OCR


def test_gives_mmsegs_output_from_its_region_logits():
    theirs = randomised(
        ObjectAttentionBlock(
            16,
            8,
            1,
            conv_cfg=None,
            norm_cfg=dict(type='BN'),
            act_cfg=dict(type='ReLU')))
    ours = randomised(OCR(16, num_classes=5))
    missing, unexpected = ours.load_state_dict(
        theirs.state_dict(), strict=False)
    # the same modules and names; the classifier is the block's own
    assert missing == ['classifier.weight', 'classifier.bias']
    assert not unexpected
    x = torch.randn(2, 16, 7, 9)
    with torch.no_grad():
        regions = SpatialGatherModule(1)(x, ours.classifier(x))
        torch.testing.assert_close(
            ours(x), theirs(x, regions), atol=1e-5, rtol=1e-5)


def test_classifier_has_the_class_count_and_keys_the_reduced_width():
    block = OCR(16, num_classes=3)
    assert block.classifier.out_channels == 3
    assert block.channels == 8  # reduction 2: OCRNet's 512 -> 256
    assert block.key_project[0].conv.out_channels == 8


@pytest.mark.parametrize(
    'kwargs, arg',
    [
        (dict(num_classes=0), 'num_classes'),
        (dict(num_classes=False), 'num_classes'),
        (dict(reduction=0), 'reduction'),
        (dict(reduction=32), 'ratio'),  # 16 // 32 leaves no channels
    ])
def test_bad_arguments(kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        OCR(16, **kwargs)
