"""RGA: the official forward at the built size, the resize policy at other
sizes, the 'error' policy, and the branch switches."""
import pytest
import torch
import torch.nn.functional as F

from mmattn.models.attention.rga import RGA


def official_spatial_logits(m, x):
    """The spatial branch of the official RGA_Module.forward: W_ys."""
    b, c, h, w = x.shape
    theta = m.theta_spatial(x).view(b, -1, h * w).permute(0, 2, 1)
    phi = m.phi_spatial(x).view(b, -1, h * w)
    gs = torch.matmul(theta, phi)
    gs_joint = torch.cat((gs.permute(0, 2, 1).view(b, h * w, h, w),
                          gs.view(b, h * w, h, w)), 1)
    gs_joint = m.gg_spatial(gs_joint)
    g_xs = torch.mean(m.gx_spatial(x), dim=1, keepdim=True)
    return m.W_spatial(torch.cat((g_xs, gs_joint), 1))


def official(m, x):
    """RGA_Module.forward of the official code, on the block's weights."""
    b, c, h, w = x.shape
    if m.use_spatial:
        w_ys = official_spatial_logits(m, x)
        x = torch.sigmoid(w_ys.expand_as(x)) * x
    if m.use_channel:
        xc = x.view(b, c, -1).permute(0, 2, 1).unsqueeze(-1)
        theta = m.theta_channel(xc).squeeze(-1).permute(0, 2, 1)
        phi = m.phi_channel(xc).squeeze(-1)
        gc = torch.matmul(theta, phi)
        gc_joint = torch.cat((gc.permute(0, 2, 1).unsqueeze(-1),
                              gc.unsqueeze(-1)), 1)
        gc_joint = m.gg_channel(gc_joint)
        g_xc = torch.mean(m.gx_channel(xc), dim=1, keepdim=True)
        w_yc = m.W_channel(torch.cat((g_xc, gc_joint), 1)).transpose(1, 2)
        x = torch.sigmoid(w_yc) * x
    return x


@pytest.mark.parametrize('use_spatial, use_channel',
                         [(True, True), (True, False), (False, True)])
def test_matches_official_at_spatial_size(use_spatial, use_channel):
    torch.manual_seed(0)
    block = RGA(16, spatial_size=(6, 4), use_spatial=use_spatial,
                use_channel=use_channel).eval()
    x = torch.randn(2, 16, 6, 4)
    torch.testing.assert_close(block(x), official(block, x))
    assert hasattr(block, 'gg_spatial') == use_spatial
    assert hasattr(block, 'gg_channel') == use_channel


def test_other_sizes_use_gates_of_the_resized_map():
    torch.manual_seed(0)
    block = RGA(8, spatial_size=(4, 4), use_channel=False).eval()
    x = torch.randn(1, 8, 9, 5)
    small = F.interpolate(x, size=(4, 4), mode='bilinear')
    logits = official_spatial_logits(block, small)
    gate = F.interpolate(logits, size=(9, 5), mode='bilinear').sigmoid()
    torch.testing.assert_close(block(x), x * gate, rtol=1e-4, atol=1e-5)
    assert block(torch.randn(2, 8, 1, 1)).shape == (2, 8, 1, 1)


def test_error_policy_names_both_sizes():
    block = RGA(8, spatial_size=(4, 4), size_mismatch='error')
    block(torch.randn(1, 8, 4, 4))
    with pytest.raises(ValueError, match=r'spatial_size=\(4, 4\).*5×4'):
        block(torch.randn(1, 8, 5, 4))


def test_hidden_widths_floor_at_one():
    block = RGA(4, spatial_size=(2, 2))  # 4 // 8 and 5 // 8 would be 0
    assert block.theta_spatial.conv.out_channels == 1
    assert block.W_spatial[0].conv.out_channels == 1
    assert block(torch.randn(2, 4, 2, 2)).shape == (2, 4, 2, 2)


@pytest.mark.parametrize('kwargs, name', [
    (dict(spatial_size=0), 'spatial_size'),
    (dict(use_spatial=False, use_channel=False), 'use_spatial'),
    (dict(size_mismatch='crop'), 'size_mismatch'),
    (dict(reduction=0), 'reduction'),
    (dict(gate_reduction=1.5), 'gate_reduction'),
])
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        RGA(8, **kwargs)
