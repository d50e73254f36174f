"""Plain re-writes of the official mobile networks, with their official
module names, for the MobileNetV2 and MobileNeXt tests: parameter counts,
checkpoint layouts and stage outputs are checked against these.

- :class:`OfficialMBV2`: houqb/CoordAttention ``mbv2_ca.py`` (flat
  ``features.N.conv.M``, every layer numbered, CA at ``conv.6`` with
  ``conv1``/``bn1``/``conv2``/``conv3``); ``attention='se'`` is the SE
  variant of the CA authors' detection code (``se_mbv2.py``: ``C // 24``,
  ReLU6) and ``'cbam'`` CBAM as Jongchan/attention-module writes it, both at
  the same place.
- :class:`TorchvisionMBV2`: torchvision's ``mobilenet_v2`` layout
  (``features.N.conv.0.0``, ``features.18``).
- :class:`OfficialMobileNeXt`: yitu-opensource/MobileNeXt ``mnext.py``,
  with its ``identity_div``.

``stage_outputs(x)`` returns what mmattn's backbones return for
``out_indices`` 0-7: each stage's output (MobileNetV2: then the 1280 conv).
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

MBV2_TABLE = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
              (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
MNEXT_TABLE = [(2, 96, 1, 2), (6, 144, 1, 1), (6, 192, 3, 2), (6, 288, 3, 2),
               (6, 384, 4, 1), (6, 576, 4, 2), (6, 960, 3, 1),
               (6, 1280, 1, 1)]


def make_divisible(v, divisor, min_value=None):
    """The official ``_make_divisible`` (from the TF repository)."""
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def randomise(model, seed=0):
    """Random weights and non-trivial BN statistics, so that a layout or a
    BN mix-up shows in the outputs."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if not tensor.is_floating_point():
                continue
            if name.endswith('running_var'):
                tensor.copy_(torch.rand(tensor.shape, generator=gen) + 0.5)
            elif name.endswith(('running_mean', 'bias')):
                tensor.copy_(torch.randn(tensor.shape, generator=gen) * 0.1)
            elif name.endswith('weight') and tensor.dim() == 1:  # norms
                tensor.copy_(torch.rand(tensor.shape, generator=gen) + 0.5)
            else:  # convs and linears: unit-variance outputs
                fan_in = tensor[0].numel()
                tensor.copy_(torch.randn(tensor.shape, generator=gen)
                             / math.sqrt(fan_in))
    return model.eval()


def param_count(model):
    return sum(p.numel() for p in model.parameters())


def conv_bn(cin, cout, k, stride=1, groups=1, act=True):
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups,
                        bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers, *[nn.ReLU6(inplace=True)] * act)


class HSwish(nn.Module):

    def forward(self, x):
        return x * F.relu6(x + 3) / 6


class CoordAtt(nn.Module):
    """``mbv2_ca.py``'s ``CoordAtt`` (``conv2``/``conv3`` for the gates)."""

    def __init__(self, inp, groups=32):
        super().__init__()
        mip = max(8, inp // groups)
        self.conv1 = nn.Conv2d(inp, mip, 1)
        self.bn1 = nn.BatchNorm2d(mip)
        self.conv2 = nn.Conv2d(mip, inp, 1)
        self.conv3 = nn.Conv2d(mip, inp, 1)
        self.relu = HSwish()

    def forward(self, x):
        h, w = x.shape[2:]
        x_h = F.adaptive_avg_pool2d(x, (None, 1))
        x_w = F.adaptive_avg_pool2d(x, (1, None)).permute(0, 1, 3, 2)
        y = self.relu(self.bn1(self.conv1(torch.cat([x_h, x_w], 2))))
        x_h, x_w = torch.split(y, [h, w], 2)
        a_h = self.conv2(x_h).sigmoid()
        a_w = self.conv3(x_w.permute(0, 1, 3, 2)).sigmoid()
        return x * a_w * a_h


class SEM(nn.Module):
    """``se_mbv2.py``'s SE: ``C // 24`` with bias, ReLU6, sigmoid."""

    def __init__(self, inp):
        super().__init__()
        mip = inp // 24
        self.conv = nn.Sequential(nn.Conv2d(inp, mip, 1), nn.ReLU6(True),
                                  nn.Conv2d(mip, inp, 1))

    def forward(self, x):
        return x * self.conv(F.adaptive_avg_pool2d(x, 1)).sigmoid()


class CBAMRef(nn.Module):
    """CBAM as in Jongchan/attention-module ``MODELS/cbam.py``: a shared MLP
    (Linear with biases) over the average- and max-pooled vectors, then a
    7×7 conv (no bias) + BN over [max; mean] of the channels."""

    def __init__(self, inp, reduction=24):
        super().__init__()
        mip = inp // reduction
        self.mlp = nn.Sequential(nn.Flatten(), nn.Linear(inp, mip), nn.ReLU(),
                                 nn.Linear(mip, inp))
        self.spatial = nn.Sequential(nn.Conv2d(2, 1, 7, padding=3, bias=False),
                                     nn.BatchNorm2d(1, momentum=0.01))

    def forward(self, x):
        att = self.mlp(F.adaptive_avg_pool2d(x, 1)) + \
            self.mlp(F.adaptive_max_pool2d(x, 1))
        x = x * att.sigmoid()[..., None, None]
        pooled = torch.cat([x.amax(1, keepdim=True), x.mean(1, keepdim=True)],
                           1)
        return x * self.spatial(pooled).sigmoid()


ATTENTIONS = {'ca': CoordAtt, 'se': SEM, 'cbam': CBAMRef}


class OfficialBlock(nn.Module):
    """``mbv2_ca.py``'s ``InvertedResidual`` (attention at ``conv.6``)."""

    def __init__(self, inp, oup, stride, expand_ratio, attention):
        super().__init__()
        hidden = round(inp * expand_ratio)
        self.identity = stride == 1 and inp == oup
        if expand_ratio == 1:
            layers = [*conv_bn(hidden, hidden, 3, stride, hidden),
                      *conv_bn(hidden, oup, 1, act=False)]
        else:
            layers = [*conv_bn(inp, hidden, 1),
                      *conv_bn(hidden, hidden, 3, stride, hidden),
                      *([ATTENTIONS[attention](hidden)] if attention else []),
                      *conv_bn(hidden, oup, 1, act=False)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.identity else self.conv(x)


class OfficialMBV2(nn.Module):
    """``mbv2_ca.py``'s ``MBV2_CA``; ``attention`` ``'ca'`` (official),
    ``'se'``, ``'cbam'`` or None."""

    def __init__(self, width_mult=1., attention='ca', num_classes=1000):
        super().__init__()
        divisor = 4 if width_mult == 0.1 else 8
        cin = make_divisible(32 * width_mult, divisor)
        layers = [conv_bn(3, cin, 3, 2)]
        self.ends = []
        for t, c, n, s in MBV2_TABLE:
            cout = make_divisible(c * width_mult, divisor)
            for i in range(n):
                layers.append(OfficialBlock(cin, cout, s if i == 0 else 1, t,
                                            attention))
                cin = cout
            self.ends.append(len(layers))
        self.features = nn.Sequential(*layers)
        last = make_divisible(1280 * width_mult, divisor) \
            if width_mult > 1 else 1280
        self.conv = conv_bn(cin, last, 1)
        self.classifier = nn.Sequential(nn.Dropout(0.1),
                                        nn.Linear(last, num_classes))

    def stage_outputs(self, x):
        outs, start = [], 0
        for end in self.ends:
            x = self.features[start:end](x)
            outs.append(x)
            start = end
        return outs + [self.conv(x)]


class TorchvisionBlock(nn.Module):

    def __init__(self, inp, oup, stride, expand_ratio):
        super().__init__()
        hidden = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers = [conv_bn(inp, hidden, 1)] * (expand_ratio != 1)
        self.conv = nn.Sequential(*layers,
                                  conv_bn(hidden, hidden, 3, stride, hidden),
                                  nn.Conv2d(hidden, oup, 1, bias=False),
                                  nn.BatchNorm2d(oup))

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class TorchvisionMBV2(nn.Module):
    """torchvision's ``MobileNetV2`` (``features.18`` the 1280 conv)."""

    def __init__(self, width_mult=1., num_classes=1000):
        super().__init__()
        cin = make_divisible(32 * width_mult, 8)
        last = make_divisible(1280 * max(1.0, width_mult), 8)
        layers, self.ends = [conv_bn(3, cin, 3, 2)], []
        for t, c, n, s in MBV2_TABLE:
            cout = make_divisible(c * width_mult, 8)
            for i in range(n):
                layers.append(TorchvisionBlock(cin, cout, s if i == 0 else 1,
                                               t))
                cin = cout
            self.ends.append(len(layers))
        layers.append(conv_bn(cin, last, 1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2),
                                        nn.Linear(last, num_classes))

    def stage_outputs(self, x):
        outs, start = [], 0
        for end in self.ends + [len(self.features)]:
            x = self.features[start:end](x)
            outs.append(x)
            start = end
        return outs


class SGBlock(nn.Module):
    """``mnext.py``'s sandglass block, its four forms as written there."""

    def __init__(self, inp, oup, stride, expand_ratio, keep_3x3=False,
                 identity_div=1):
        super().__init__()
        hidden = inp // expand_ratio
        if hidden < oup / 6.:
            hidden = make_divisible(math.ceil(oup / 6.), 16)
        self.identity = False
        self.identity_div = identity_div
        dw1 = conv_bn(inp, inp, 3, 1, inp)
        pw = [*conv_bn(inp, hidden, 1, act=False), *conv_bn(hidden, oup, 1)]
        if expand_ratio == 2:
            layers = [*dw1, *pw, *conv_bn(oup, oup, 3, stride, oup, False)]
        elif inp != oup and stride == 1 and not keep_3x3:
            layers = pw
        elif inp != oup and stride == 2 and not keep_3x3:
            layers = [*pw, *conv_bn(oup, oup, 3, stride, oup, False)]
        else:
            self.identity = not keep_3x3
            layers = [*dw1, *pw, *conv_bn(oup, oup, 3, 1, oup, False)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        out = self.conv(x)
        if self.identity:
            k = x.shape[1] // self.identity_div
            out = out.clone()
            out[:, :k] = out[:, :k] + x[:, :k]
        return out


class OfficialMobileNeXt(nn.Module):
    """``mnext.py``'s ``MXNet``."""

    def __init__(self, width_mult=1., identity_div=1, num_classes=1000):
        super().__init__()
        divisor = 4 if width_mult == 0.1 else 8
        cin = make_divisible(32 * width_mult, divisor)
        layers, self.ends = [conv_bn(3, cin, 3, 2)], []
        for t, c, n, s in MNEXT_TABLE:
            cout = make_divisible(c * width_mult, divisor)
            if c == 1280 and width_mult < 1:
                cout = 1280
            layers.append(SGBlock(cin, cout, s, t, n == 1 and s == 1,
                                  identity_div))
            cin = cout
            for _ in range(n - 1):
                layers.append(SGBlock(cin, cout, 1, t,
                                      identity_div=identity_div))
            self.ends.append(len(layers))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2),
                                        nn.Linear(cin, num_classes))

    def stage_outputs(self, x):
        outs, start = [], 0
        for end in self.ends:
            x = self.features[start:end](x)
            outs.append(x)
            start = end
        return outs


def relative_error(out, ref):
    """Largest difference over the largest magnitude of the reference."""
    return ((out - ref).abs().max() / ref.abs().max()).item()
