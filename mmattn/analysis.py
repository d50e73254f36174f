"""Load any model mmattn knows and feed it synthetic data, for the analysis
tools (``tools/analysis``): complexity, benchmarks, attention maps, the zoo.

A *spec* names what to load:

- an mmdet or mmseg config file (``configs/van/....py``): the whole model;
- a registered type, ``'mmattn.VAN'``: a bare backbone or block;
- a dict, or its text ``"dict(type='mmattn.SE', in_channels=256)"``.

Det and seg models get a batch of random, already normalised images with the
meta data their heads read, and with ``with_gt=True`` random boxes, masks or
label maps, so that inference, a loss step and FLOP counting run without a
data set.
"""
import ast
import operator
import os.path as osp
import re
from functools import partial

import torch
from torch import nn

__all__ = [
    'load_config', 'build_model', 'task_of', 'dummy_batch', 'forward_fn',
    'train_step_fn', 'complexity', 'optimize', 'format_count'
]


_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub,
               ast.Mult: operator.mul, ast.Div: operator.truediv}


def _literal(node):
    """Python literals, ``dict(k=v)`` calls and number arithmetic
    (``ratio=1 / 16``), as configs write them; nothing is executed."""
    if isinstance(node, ast.Call) and getattr(node.func, 'id', '') == 'dict' \
            and not node.args:
        return {kw.arg: _literal(kw.value) for kw in node.keywords}
    if isinstance(node, ast.Dict):
        return {_literal(k): _literal(v)
                for k, v in zip(node.keys, node.values)}
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_literal(e) for e in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        left, right = _literal(node.left), _literal(node.right)
        if all(isinstance(v, (int, float)) for v in (left, right)):
            return _ARITHMETIC[type(node.op)](left, right)
    return ast.literal_eval(node)


def _parse_dict(text):
    """``"dict(a=1, b=dict(c=1 / 16))"`` or ``"{'a': 1}"`` -> dict."""
    value = _literal(ast.parse(text.strip(), mode='eval').body)
    if not isinstance(value, dict):
        raise ValueError(f'not a dict: {text!r}')
    return value


def load_config(spec, cfg_options=None):
    """A :class:`mmengine.Config` with a ``model`` for ``spec``.

    Args:
        spec (str | dict): Config file, registered type or model dict.
        cfg_options (dict, optional): Merged into the config, e.g.
            ``{'model.arch': 'b0'}``.

    Returns:
        Config: ``default_scope`` is ``'mmattn'`` for a bare module.
    """
    from mmengine.config import Config
    if isinstance(spec, dict):
        model = dict(spec)
    elif spec.endswith('.py'):
        if not osp.isfile(spec):
            raise FileNotFoundError(f'config file not found: {spec}')
        cfg = Config.fromfile(spec)
        model = None
    elif re.fullmatch(r'[\w.]+', spec):
        model = dict(type=spec)
    else:
        model = _parse_dict(spec)
    if model is not None:
        if 'type' not in model:
            raise ValueError(f'model spec needs a type: {spec!r}')
        if '.' not in model['type']:
            model['type'] = f"mmattn.{model['type']}"
        cfg = Config(dict(model=model, default_scope='mmattn'))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def build_model(cfg, device='cpu'):
    """Build ``cfg.model`` in its host's scope, SyncBN reverted to BN, without
    loading pretrained weights (``init_weights`` is not called).

    Returns:
        nn.Module: On ``device``, in eval mode.
    """
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import init_default_scope
    import mmattn.models  # noqa: F401  (registers mmattn)
    scope = cfg.get('default_scope', 'mmattn')
    if scope == 'mmattn':
        from mmattn.registry import MODELS
    else:
        from mmattn.runner import host_scope
        import importlib
        MODELS = importlib.import_module(f'{host_scope(cfg)}.registry').MODELS
    init_default_scope(scope)
    model = revert_sync_batchnorm(MODELS.build(cfg.model)).to(device)
    model.eval()  # not chained: some train() overrides return None
    return model


def task_of(model):
    """``'det'`` (mmdet detector), ``'seg'`` (mmseg segmentor) or
    ``'module'`` (a bare backbone or block)."""
    module = type(model).__module__
    if module.startswith('mmdet.models.detectors'):
        return 'det'
    if module.startswith('mmseg.models.segmentors'):
        return 'seg'
    return 'module'


def _in_channels(model):
    for key in ('in_channels', 'in_chans'):
        value = getattr(model, key, None)
        if isinstance(value, int):
            return value
    for m in model.modules():  # the first conv decides
        if isinstance(m, nn.Conv2d):
            return m.in_channels
    return 3


def _num_classes(model):
    for path in ('decode_head', 'roi_head.bbox_head', 'bbox_head'):
        head = model
        for name in path.split('.'):
            head = getattr(head, name, None)
        if head is not None and hasattr(head, 'num_classes'):
            return head.num_classes
    return 1


def _pad_to(size, divisor):
    return -(-size // divisor) * divisor if divisor > 1 else size


def dummy_batch(model, shape, batch_size=1, with_gt=False, device='cpu',
                seed=0):
    """Random inputs, and for det/seg ``data_samples``, for ``model``.

    Det inputs are padded up to the detector's ``pad_size_divisor``, as its
    data preprocessor would. Ground truth (``with_gt``): three boxes with
    filled box masks per image, or a random label map.

    Returns:
        dict: ``inputs`` (N×C×H×W tensor) and ``data_samples`` (list or None).
    """
    gen = torch.Generator().manual_seed(seed)
    task = task_of(model)
    h, w = shape
    if task == 'module':
        inputs = torch.randn(batch_size, _in_channels(model), h, w,
                             generator=gen)
        return dict(inputs=inputs.to(device), data_samples=None)
    if task == 'det':
        divisor = getattr(model.data_preprocessor, 'pad_size_divisor', 1)
        h, w = _pad_to(h, divisor), _pad_to(w, divisor)
    meta = dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w),
                batch_input_shape=(h, w), scale_factor=(1.0, 1.0))
    samples = [_sample(task, meta, with_gt, _num_classes(model), gen)
               for _ in range(batch_size)]
    inputs = torch.randn(batch_size, 3, h, w, generator=gen)
    return dict(inputs=inputs.to(device),
                data_samples=[s.to(device) for s in samples])


def _sample(task, meta, with_gt, num_classes, gen):
    h, w = meta['img_shape']
    if task == 'seg':
        from mmengine.structures import PixelData
        from mmseg.structures import SegDataSample
        sample = SegDataSample(metainfo=meta)
        if with_gt:
            labels = torch.randint(num_classes, (1, h, w), generator=gen)
            sample.gt_sem_seg = PixelData(data=labels)
        return sample
    import numpy as np
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData
    sample = DetDataSample(metainfo=meta)
    if with_gt:
        n = 3
        lo = torch.rand(n, 2, generator=gen) * torch.tensor([w, h]) / 2
        size = (0.2 + 0.3 * torch.rand(n, 2, generator=gen)) * torch.tensor(
            [w, h])
        boxes = torch.cat([lo, lo + size], 1).round()
        masks = np.zeros((n, h, w), np.uint8)
        for i, (x1, y1, x2, y2) in enumerate(boxes.int().tolist()):
            masks[i, y1:y2, x1:x2] = 1
        sample.gt_instances = InstanceData(
            bboxes=boxes,
            labels=torch.randint(num_classes, (n, ), generator=gen),
            masks=BitmapMasks(masks, h, w))
    return sample


def forward_fn(model, batch, mode='predict'):
    """A zero-argument callable: one inference of ``batch``.

    Args:
        mode (str): For det/seg models: ``'predict'`` (with post-processing,
            what a user waits for) or ``'tensor'`` (raw head outputs).
            Defaults to ``'predict'``.
    """
    if task_of(model) == 'module':
        return partial(model, batch['inputs'])
    return partial(model, batch['inputs'], batch['data_samples'], mode=mode)


def _scalar_loss(model, batch):
    if task_of(model) == 'module':
        out = model(batch['inputs'])
        outs = out if isinstance(out, (tuple, list)) else (out, )
        return sum(o.float().mean() for o in outs)
    losses = model(batch['inputs'], batch['data_samples'], mode='loss')
    return model.parse_losses(losses)[0]


def train_step_fn(model, batch):
    """A zero-argument callable: one forward and backward pass in train mode
    (the caller puts the model in ``train()``); gradients are reset first.
    ``batch`` needs ground truth for det/seg (``dummy_batch(with_gt=True)``).
    """

    def step():
        model.zero_grad(set_to_none=True)
        _scalar_loss(model, batch).backward()

    return step


def optimize(model):
    """:func:`mmattn.models.optimize_for_inference` on ``model``, in place.

    Returns:
        int: How many modules it swapped for their inference forms (0: the
        model has none, and runs unchanged).
    """
    from mmattn.models.inference import (INFERENCE_FORMS,
                                         optimize_for_inference)
    count = sum(type(m) in INFERENCE_FORMS for m in model.modules())
    optimize_for_inference(model)
    return count


def complexity(model, batch, depth=1):
    """Params and FLOPs of one inference, in total and per submodule.

    FLOPs follow mmengine's (fvcore's) convention, as the hosts' tables do:
    one multiply-add counts as one FLOP. Det/seg models run in ``'tensor'``
    mode, as mmdet's and mmseg's ``get_flops.py`` do (no post-processing).

    Args:
        depth (int): Module depth of the rows; 1 gives the top-level modules
            (backbone, neck, heads). Defaults to 1.

    Returns:
        dict: ``params``, ``flops``, ``rows`` (list of ``(name, params,
        flops)``; modules that did not run have flops 0), ``unsupported``
        (``{op: count}`` of ops that were not counted) and ``uncalled``
        (the outermost modules that did not run).
    """
    from mmengine.analysis import FlopAnalyzer, parameter_count
    task = task_of(model)
    forward = model.forward
    if task != 'module':
        model.forward = partial(forward, data_samples=batch['data_samples'],
                                mode='tensor')
    try:
        analyzer = FlopAnalyzer(model, (batch['inputs'], ))
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        analyzer.tracer_warnings('none')
        flops = analyzer.by_module()
        unsupported = dict(analyzer.unsupported_ops())
        uncalled = analyzer.uncalled_modules()
        uncalled = sorted(n for n in uncalled  # outermost only
                          if n.rpartition('.')[0] not in uncalled)
    finally:
        if task != 'module':
            model.forward = forward
    params = parameter_count(model)
    names = [n for n, _ in model.named_modules()
             if n and n.count('.') < depth]
    rows = [(n, params.get(n, 0), flops.get(n, 0)) for n in names]
    return dict(params=params[''], flops=flops[''], rows=rows,
                unsupported=unsupported, uncalled=uncalled)


def format_count(n, unit=''):
    """``12345678 -> '12.35M'``."""
    for scale, suffix in ((1e12, 'T'), (1e9, 'G'), (1e6, 'M'), (1e3, 'K')):
        if abs(n) >= scale:
            return f'{n / scale:.2f}{suffix}{unit}'
    return f'{n:g}{unit}'
