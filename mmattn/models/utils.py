"""Small helpers that more than one model file needs."""


def _is_int(value):
    """Whether ``value`` is an int and not a bool (``True`` is no count)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _int_at_least(value, minimum, name, what):
    if not _is_int(value) or value < minimum:
        raise ValueError(f'{name} must be {what}, got {value!r}')
    return value


def positive_int(value, name):
    """``value`` if it is a positive int (``True`` is not a count).

    Raises:
        ValueError: naming ``name`` otherwise.
    """
    return _int_at_least(value, 1, name, 'a positive int')


def non_negative_int(value, name):
    """``value`` if it is an int >= 0 (a number of optional layers).

    Raises:
        ValueError: naming ``name`` otherwise.
    """
    return _int_at_least(value, 0, name, 'an int >= 0')


def odd_kernel_size(value, name='kernel_size'):
    """``value`` if it is a positive odd int: a kernel centred on its pixel.

    Raises:
        ValueError: naming ``name`` otherwise.
    """
    if _int_at_least(value, 1, name, 'a positive odd int') % 2 == 0:
        raise ValueError(f'{name} must be a positive odd int, got {value!r}')
    return value


def check_ratio(ratio):
    """``ratio`` if it is an int reduction >= 1 or a float in (0, 1].

    Raises:
        ValueError: naming ``ratio`` otherwise.
    """
    if not (isinstance(ratio, float) and 0 < ratio <= 1
            or _is_int(ratio) and ratio >= 1):
        raise ValueError(f'ratio must be an int reduction >= 1 or a float '
                         f'in (0, 1], got {ratio!r}')
    return ratio


def is_pretrained(init_cfg):
    """Whether ``init_cfg`` (a dict, a list of them or None) loads a
    ``Pretrained`` checkpoint."""
    cfgs = init_cfg if isinstance(init_cfg, (list, tuple)) else [init_cfg]
    return any(isinstance(c, dict) and c.get('type') == 'Pretrained'
               for c in cfgs)


def make_divisible(value, divisor=8, min_value=None, round_limit=0.9):
    """Round ``value`` to a multiple of ``divisor``, not below ``round_limit``
    of it (as in MobileNet, mmcv and timm)."""
    min_value = min_value or divisor
    new_value = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if new_value < round_limit * value:
        new_value += divisor
    return new_value


def reduced_channels(in_channels, ratio, min_channels=0, divisor=1):
    """Width of a bottleneck: ``in_channels // ratio`` for an int ratio
    (a reduction, e.g. 16), ``in_channels * ratio`` for a float in (0, 1]
    (e.g. 1 / 16), floored at ``min_channels`` and, with ``divisor`` > 1,
    rounded by :func:`make_divisible`.

    Raises:
        ValueError: naming ``in_channels`` or ``ratio`` if the result would
            leave no channels.
    """
    positive_int(in_channels, 'in_channels')
    check_ratio(ratio)
    width = in_channels * ratio if isinstance(ratio, float) \
        else in_channels / ratio
    if divisor > 1:
        return make_divisible(width, divisor, max(min_channels, divisor))
    width = max(int(width), min_channels)
    if width < 1:
        raise ValueError(f'ratio={ratio!r} leaves no channels of '
                         f'in_channels={in_channels}')
    return width


def init_conv_fan_out(conv):
    """The conv init of VAN (and of the ConvNets before it): weight
    ~ N(0, 2 / fan_out) with fan_out the kernel area times out_channels /
    groups, bias 0."""
    import math

    import torch.nn as nn
    fan_out = conv.kernel_size[0] * conv.kernel_size[1] * conv.out_channels
    nn.init.normal_(conv.weight, 0, math.sqrt(2.0 / (fan_out // conv.groups)))
    if conv.bias is not None:
        nn.init.zeros_(conv.bias)


def memory_format_of(x):
    """``torch.channels_last`` if the 4-d tensor ``x`` is laid out so (and
    not also contiguous, as a 1×1 map or a single channel is), else
    ``torch.contiguous_format``: the format a model that runs in
    channels_last hands its output back in."""
    import torch
    if x.is_contiguous(memory_format=torch.channels_last) \
            and not x.is_contiguous():
        return torch.channels_last
    return torch.contiguous_format


def positive_pair(value, name):
    """``(v, v)`` for a positive int ``value``, ``tuple(value)`` for a pair
    of them (e.g. ``spatial_size=(16, 32)``).

    Raises:
        ValueError: naming ``name`` for anything else.
    """
    def ok(v):
        return _is_int(v) and v > 0

    if ok(value):
        return value, value
    if isinstance(value, (tuple, list)) and len(value) == 2 \
            and all(ok(v) for v in value):
        return tuple(value)
    raise ValueError(f'{name} must be a positive int or a pair of them, '
                     f'got {value!r}')
