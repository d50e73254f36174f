import numpy as np
import pytest
import torch

from analysis_tools import load, read_png
from conftest import config_path

vis = load('visualize_attention')

TINY_SEG = dict(
    type='mmseg.EncoderDecoder',
    data_preprocessor=dict(
        type='mmseg.SegDataPreProcessor', mean=[0, 0, 0],
        std=[255, 255, 255], size=(64, 64)),
    backbone=dict(
        type='mmseg.ResNetV1c', depth=50, stem_channels=16, base_channels=8,
        strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4), out_indices=(3, ),
        norm_cfg=dict(type='BN'),
        plugins=[dict(cfg=dict(type='mmattn.CoordAttention'),
                      stages=(False, True, True, False),
                      position='after_conv2')]),
    decode_head=dict(
        type='mmseg.FCNHead', in_channels=256, channels=16, num_convs=1,
        concat_input=False, num_classes=2, norm_cfg=dict(type='BN'),
        loss_decode=dict(type='mmseg.CrossEntropyLoss')),
    train_cfg=dict(), test_cfg=dict(mode='whole'))


def scene(rng, size=64):
    """A dark noisy image with one bright square; label 1 on the square."""
    img = rng.normal(40, 15, (size, size)).clip(0, 255)
    side = rng.integers(14, 22)
    y, x = rng.integers(0, size - side, 2)
    img[y:y + side, x:x + side] = rng.normal(220, 15, (side, side))
    label = np.zeros((size, size), np.int64)
    label[y:y + side, x:x + side] = 1
    return np.repeat(img[..., None], 3, -1).astype(np.uint8), label, \
        (y, x, side)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """The tiny segmentor above, trained for 50 steps to find the square;
    returns (config file, checkpoint file, model)."""
    from mmengine.structures import PixelData
    from mmattn.analysis import build_model, dummy_batch, load_config
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    root = tmp_path_factory.mktemp('tiny_seg')
    cfg_file = root / 'tiny_seg.py'
    cfg_file.write_text(f"default_scope = 'mmseg'\nmodel = {TINY_SEG!r}\n"
                        "custom_imports = dict(imports=['mmattn.models'])\n")
    model = build_model(load_config(str(cfg_file)))
    model.train()
    optim = torch.optim.Adam(model.parameters(), 1e-2)
    for _ in range(50):
        imgs, labels, _ = zip(*(scene(rng) for _ in range(8)))
        samples = dummy_batch(model, (64, 64), 8)['data_samples']
        for s, label in zip(samples, labels):
            s.gt_sem_seg = PixelData(data=torch.from_numpy(label)[None])
        inputs = torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2) / 255.
        loss = model.parse_losses(model(inputs.float(), samples,
                                        mode='loss'))[0]
        optim.zero_grad()
        loss.backward()
        optim.step()
    model.eval()
    ckpt = root / 'tiny_seg.pth'
    torch.save(model.state_dict(), ckpt)
    return cfg_file, ckpt, model


def test_grad_cam_peaks_inside_the_bright_object(trained):
    _, _, model = trained
    rgb, label, (y, x, side) = scene(np.random.default_rng(123))
    inputs, samples = vis.prepare(model, rgb)
    with torch.no_grad():
        pred = model(inputs, samples, mode='predict')[0].pred_sem_seg.data[0]
    iou = ((pred == 1) & (torch.from_numpy(label) == 1)).sum() / \
        ((pred == 1) | (torch.from_numpy(label) == 1)).sum()
    assert iou > 0.5, 'the fixture model did not learn the square'
    cams, cls = vis.grad_cams(model, inputs, samples, ['backbone.layer3'],
                              target_class=1)
    cam = cams['backbone.layer3']
    assert cls == 1 and cam.shape == (64, 64)
    peak_y, peak_x = np.unravel_index(cam.argmax(), cam.shape)
    assert y <= peak_y < y + side and x <= peak_x < x + side
    assert cam[label == 1].mean() > 2 * cam[label == 0].mean()


def test_end_to_end_with_checkpoint(trained, tmp_path, capsys):
    import cv2
    cfg_file, ckpt, _ = trained
    rgb, _, _ = scene(np.random.default_rng(7))
    image = tmp_path / 'square.png'
    cv2.imwrite(str(image), rgb)
    vis.main([str(cfg_file), str(ckpt), str(image), '--shape', '64', '64',
              '--out-dir', str(tmp_path)])
    out = capsys.readouterr().out
    assert 'UNTRAINED' not in out
    read_png(tmp_path / 'gradcam.png')
    read_png(tmp_path / 'attention_maps.png')


def test_grad_cam_stages_are_the_backbone_outputs(trained):
    """The tiny ResNet returns stage 4 only (out_indices=(3, ), stride 8
    with dilation); its other 4-d outputs are no stages."""
    _, _, model = trained
    rgb, _, _ = scene(np.random.default_rng(5))
    inputs, samples = vis.prepare(model, rgb)
    cams, _ = vis.grad_cams(model, inputs, samples, target_class=1)
    assert list(cams) == ['stage 4 (1/8)']
    assert not model.backbone._forward_hooks  # the taps are gone


def test_blocks_pick_the_last_of_each_stage(trained):
    _, _, model = trained
    maps = vis.block_maps(model, torch.randn(1, 3, 64, 64))
    assert list(maps) == ['backbone.layer2.3.coord_att',
                          'backbone.layer3.5.coord_att']
    assert set(maps['backbone.layer2.3.coord_att']) == {
        'h gate (mean over C)', 'w gate (mean over C)',
        'h×w gate (mean over C)'}
    picked = vis.block_maps(model, torch.randn(1, 3, 64, 64), r'layer2\.[01]')
    assert list(picked) == ['backbone.layer2.0.coord_att',
                            'backbone.layer2.1.coord_att']


@pytest.mark.slow
def test_untrained_config_on_the_demo_photo(tmp_path, capsys):
    vis.main([config_path('toy', 'fpn_r50_toy-ade20k.py'),
              '--shape', '96', '128', '--out-dir', str(tmp_path)])
    out = capsys.readouterr().out
    assert vis.UNTRAINED in out
    assert 'no attention block with maps' in out
    img = read_png(tmp_path / 'gradcam.png')
    assert img.shape[1] > 4 * 200  # the image and four stages


@pytest.fixture(scope='module')
def van_b0():
    """The toy Semantic FPN VAN-B0, untrained, in eval mode (VAN's fused
    inference path calls LKA's convs, not the LKA module)."""
    from mmattn.analysis import build_model, load_config
    torch.manual_seed(0)
    cfg = load_config(config_path('toy', 'fpn_van-b0_toy-ade20k.py'))
    return build_model(cfg).eval()


def test_van_lka_maps_and_stage_grad_cams(van_b0):
    rgb = vis.load_image('demo:chelsea', (64, 64))
    inputs, samples = vis.prepare(van_b0, rgb)
    maps = vis.block_maps(van_b0, inputs)
    depths = [len(getattr(van_b0.backbone, f'block{i}')) for i in (1, 2, 3, 4)]
    assert list(maps) == [
        f'backbone.block{i}.{depth - 1}.attn.spatial_gating_unit'
        for i, depth in zip((1, 2, 3, 4), depths)]
    for stride, block_maps in zip((4, 8, 16, 32), maps.values()):
        (map_, input_hw), = block_maps.values()
        assert map_.shape == input_hw == (64 // stride, 64 // stride)
        assert map_.min() >= 0 and map_.max() > 0
    cams, _ = vis.grad_cams(van_b0, inputs, samples)
    assert list(cams) == ['stage 1 (1/4)', 'stage 2 (1/8)', 'stage 3 (1/16)',
                          'stage 4 (1/32)']
    for cam in cams.values():
        assert cam.shape == (64, 64) and 0 <= cam.min() <= cam.max() <= 1


def test_load_image_demo_and_missing_file():
    rgb = vis.load_image('demo:chelsea', (40, 60))
    assert rgb.shape == (40, 60, 3) and rgb.dtype == np.uint8
    with pytest.raises(FileNotFoundError, match='nope.png'):
        vis.load_image('nope.png', (8, 8))


def test_grad_cam_import_leaves_no_stand_in_behind():
    import importlib.util
    import sys
    had = importlib.util.find_spec('torchvision') is not None
    assert vis.import_grad_cam().__name__ == 'GradCAM'
    assert (importlib.util.find_spec('torchvision') is not None) == had
    assert had or not any(n.startswith('torchvision') for n in sys.modules)
