"""ONNX export as the README documents it: the TorchScript exporter
(``dynamo=False``; torch 2.13's default dynamo exporter needs onnxscript,
which mmattn does not install), opset 17, outputs equal to eager in
onnxruntime. VAN-B0, Conv2Former-N and an mmdet ResNet-50 with an mmattn
block plugin, on tiny inputs."""
import io

import numpy as np
import onnxruntime
import pytest
import torch
from mmengine.registry import init_default_scope

from mmattn.models.backbones import VAN, Conv2Former


def export_and_run(model, x):
    """``(onnxruntime outputs, eager outputs)`` of ``model`` on ``x``."""
    with torch.no_grad():
        eager = model(x)
    eager = [eager] if torch.is_tensor(eager) else list(eager)
    names = [f'out{i}' for i in range(len(eager))]
    buffer = io.BytesIO()
    torch.onnx.export(model, (x, ), buffer, dynamo=False, opset_version=17,
                      input_names=['x'], output_names=names)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        buffer.getvalue(), options, providers=['CPUExecutionProvider'])
    return session.run(names, {'x': x.numpy()}), [t.numpy() for t in eager]


def resnet50_with_coord_attention():
    import mmdet.models  # noqa: F401  (registers ResNet)
    from mmdet.registry import MODELS as MMDET_MODELS
    init_default_scope('mmdet')
    return MMDET_MODELS.build(dict(
        type='ResNet', depth=50, out_indices=(0, 1, 2, 3),
        plugins=[dict(cfg=dict(type='mmattn.CoordAttention'),
                      stages=(False, True, True, True),
                      position='after_conv3')]))


@pytest.mark.parametrize('build', [
    lambda: VAN(arch='b0'),
    lambda: Conv2Former(arch='n'),
    resnet50_with_coord_attention,
], ids=['van-b0', 'conv2former-n', 'mmdet-r50-coordatt'])
def test_onnx_export_matches_eager(build):
    torch.manual_seed(0)
    model = build()
    model.init_weights()
    model.eval()
    x = torch.randn(1, 3, 64, 96)
    onnx_outs, eager_outs = export_and_run(model, x)
    assert len(onnx_outs) == len(eager_outs) == 4
    for stride, onnx_out, eager_out in zip((4, 8, 16, 32), onnx_outs,
                                           eager_outs):
        assert onnx_out.shape[2:] == (64 // stride, 96 // stride)
        np.testing.assert_allclose(onnx_out, eager_out, atol=1e-4, rtol=1e-4)
