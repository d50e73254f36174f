import pytest
import torch
from torch import nn

from mmattn.models.attention import registered_blocks
from mmattn.visualization import (ADAPTERS, attention_maps, capture_inputs,
                                  is_spatial, query_index)

ADAPTED = sorted(set(ADAPTERS) & set(registered_blocks()))
# sigmoid gates, in (0, 1), and softmax weights
GATES = {'CBAM', 'CoordAttention', 'scSE', 'GE', 'SK', 'CrissCross'}


def build(name, channels=32):
    torch.manual_seed(0)
    block = registered_blocks()[name](in_channels=channels)
    block.init_weights()
    return block.eval()


def test_every_adapter_names_a_registered_block():
    assert set(ADAPTERS) <= set(registered_blocks())


@pytest.mark.parametrize('name', ADAPTED)
def test_adapter_maps_have_the_protocol_shapes(name):
    x = torch.randn(2, 32, 9, 13)
    maps = attention_maps(build(name), x, query=(0.2, 0.7))
    assert maps, f'{name} gave no map'
    for key, m in maps.items():
        assert m.dim() == 3 and m.shape[0] == 2, key
        assert torch.isfinite(m).all(), key
        if name in GATES:
            assert ((m >= 0) & (m < 1)).all(), key
    if name not in ('SK', 'GE'):  # per channel (GE: with a global extent)
        assert any(is_spatial(m.shape[1:], (9, 13)) for m in maps.values())


def test_coord_attention_maps_factorise():
    maps = attention_maps(build('CoordAttention'), torch.randn(1, 32, 9, 13))
    assert maps['h gate (mean over C)'].shape == (1, 9, 1)
    assert maps['w gate (mean over C)'].shape == (1, 1, 13)
    assert maps['h×w gate (mean over C)'].shape == (1, 9, 13)


def test_weights_over_positions_sum_to_one():
    x = torch.randn(1, 32, 9, 13)
    (gc, ) = attention_maps(build('GlobalContext'), x).values()
    torch.testing.assert_close(gc.sum(), torch.tensor(1.))
    (nl, ) = attention_maps(build('NonLocal'), x, query=(0.5, 0.5)).values()
    torch.testing.assert_close(nl.sum(), torch.tensor(1.))


def test_non_local_query_map_is_its_softmax_row():
    """Against the attention matrix written out."""
    block = build('NonLocal')
    x = torch.randn(1, 32, 5, 6)
    theta = block.theta(x).flatten(2)[0]  # C'×L
    phi = block.phi(x).flatten(2)[0]  # C'×S
    full = (theta.T @ phi * block.inter_channels**-0.5).softmax(-1)
    (row, ) = attention_maps(block, x, query=(0.5, 0.9)).values()
    torch.testing.assert_close(row.flatten(), full[query_index(
        (0.5, 0.9), 5, 6)])


def test_criss_cross_query_map_covers_its_row_and_column():
    (m, ) = attention_maps(build('CrissCross'), torch.randn(1, 32, 7, 9),
                           query=(0.5, 0.5)).values()
    torch.testing.assert_close(m.sum(), torch.tensor(1.))
    off = m.clone()
    off[:, 3] = 0
    off[:, :, 4] = 0
    assert (off == 0).all() and (m[:, 3] > 0).all() and (m[:, :, 4] > 0).all()


@pytest.mark.parametrize('kwargs, key, shape', [
    (dict(), 'channel gate (1 × C)', (1, 1, 32)),
    (dict(extent=4, extra_params=True, use_mlp=True),
     'gathered gate (mean over C)', (1, 9, 13)),
])
def test_ge_maps_follow_the_extent(kwargs, key, shape):
    block = registered_blocks()['GE'](32, **kwargs).eval()
    maps = attention_maps(block, torch.randn(1, 32, 9, 13))
    assert list(maps) == [key] and maps[key].shape == shape


def test_sk_selection_sums_to_one_over_branches():
    (m, ) = attention_maps(build('SK'), torch.randn(2, 32, 6, 6)).values()
    assert m.shape == (2, 2, 32)
    torch.testing.assert_close(m.sum(1), torch.ones(2, 32))


def test_own_method_takes_precedence_and_capture_records_inputs():

    class Gate(nn.Module):

        def attention_maps(self, x, query=None):
            return {'mean': x.mean(1)}

        def forward(self, x):
            return x

    model = nn.Sequential(nn.Conv2d(3, 4, 1), Gate(), nn.ReLU())
    x = torch.randn(1, 3, 5, 5)
    with capture_inputs(model) as captured:
        model(x)
    assert list(captured) == ['1']
    block, seen = captured['1']
    torch.testing.assert_close(seen, model[0](x))
    torch.testing.assert_close(attention_maps(block, seen)['mean'],
                               seen.mean(1))
    model(x)  # hooks are gone after the with
    assert len(captured) == 1


def test_helpers():
    assert query_index((0, 0), 4, 5) == 0
    assert query_index((0.99, 0.99), 4, 5) == 19
    assert query_index(None, 4, 5) == 2 * 5 + 2
    assert is_spatial((64, 96), (128, 192)) and is_spatial((9, 13), (9, 13))
    assert not is_spatial((9, 1), (9, 13)) and not is_spatial((2, 64), (9, 9))
