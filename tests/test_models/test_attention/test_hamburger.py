"""Hamburger against mmseg's LightHamHead Hamburger (same state dict, same
seed: same output in eval and training, with every norm), the step counts,
the one-step gradient, random and fixed bases, torch.compile and bad
arguments."""
import pytest
import torch
from block_checks import assert_compiles_like_eager, randomised
from mmseg.models.decode_heads.ham_head import Hamburger as MMSegHamburger

from mmattn.models.attention import hamburger
from mmattn.models.attention.hamburger import Hamburger


def pair(norm_cfg=None, num_splits=1):
    theirs = randomised(
        MMSegHamburger(
            16,
            dict(
                MD_S=num_splits,
                MD_R=8,
                train_steps=6,
                eval_steps=7,
                inv_t=100,
                rand_init=True),
            norm_cfg=norm_cfg))
    ours = Hamburger(16, num_bases=8, num_splits=num_splits, norm_cfg=norm_cfg)
    ours.load_state_dict(theirs.state_dict())  # strict: same keys
    return ours, theirs


def seeded(module, x, seed=3):
    torch.manual_seed(seed)
    return module(x.clone())


@pytest.mark.parametrize('norm_cfg, num_splits',
                         [(None, 1), (dict(type='GN', num_groups=4), 1),
                          (dict(type='BN'), 1), (dict(type='BN'), 2)])
@pytest.mark.parametrize('train', [False, True])
def test_gives_mmsegs_output_with_the_same_seed(norm_cfg, num_splits, train):
    ours, theirs = pair(norm_cfg, num_splits)
    ours.train(train), theirs.train(train)
    x = torch.randn(2, 16, 7, 9)
    with torch.no_grad():
        torch.testing.assert_close(
            seeded(ours, x), seeded(theirs, x), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('train, steps', [(True, 6), (False, 7)])
def test_runs_the_papers_step_counts(train, steps, monkeypatch):
    calls = []
    update = hamburger.update_bases
    monkeypatch.setattr(hamburger, 'update_bases',
                        lambda *args: calls.append(1) or update(*args))
    Hamburger(16, num_bases=8).train(train)(torch.randn(2, 16, 5, 4))
    assert len(calls) == steps


def one_step_reference(block, x, seed=3):
    """The paper's one-step gradient written out: the updates of
    ``factorise`` on detached tensors, then one coefficient update and the
    reconstruction with gradient."""
    torch.manual_seed(seed)
    feats = torch.relu(block.ham_in(x))
    flat = feats.flatten(2)
    bases = torch.nn.functional.normalize(torch.rand(2, 16, 8), dim=1)
    coef = (flat.transpose(1, 2) @ bases).softmax(-1).detach()
    steps = block.train_steps if block.training else block.eval_steps
    for _ in range(steps):
        coef = hamburger.update_coef(flat.detach(), bases, coef)
        bases = hamburger.update_bases(flat.detach(), bases, coef)
    coef = hamburger.update_coef(flat, bases, coef)
    ham = (bases @ coef.transpose(1, 2)).view_as(feats)
    return torch.relu(x + block.ham_out(ham))


def test_back_propagates_the_one_step_gradient():
    ours, theirs = pair()
    x = torch.randn(2, 16, 7, 9, requires_grad=True)
    grad = torch.randn(2, 16, 7, 9)

    def input_grad(fn):
        x.grad = None
        fn().backward(grad)
        return x.grad.clone()

    ref = input_grad(lambda: one_step_reference(ours, x))
    torch.testing.assert_close(input_grad(lambda: seeded(ours, x)), ref)
    # mmseg back-propagates through all the updates: same output, another
    # gradient
    mmseg = input_grad(lambda: seeded(theirs, x))
    assert (mmseg - ref).abs().max() > 1e-3 * ref.abs().max()


def test_random_bases_are_drawn_at_every_call_fixed_ones_once():
    block = Hamburger(16, num_bases=8).eval()
    x = torch.randn(2, 16, 5, 4)
    with torch.no_grad():
        assert not torch.allclose(block(x), block(x))
        torch.testing.assert_close(seeded(block, x), seeded(block, x))
        assert 'bases' not in block.state_dict()
        fixed = Hamburger(16, num_bases=8, rand_init=False).eval()
        assert fixed.state_dict()['bases'].shape == (1, 16, 8)
        torch.testing.assert_close(fixed(x), fixed(x))


@pytest.mark.slow
def test_compiles_like_eager_with_random_bases():
    """The contract test compiles Hamburger with fixed bases; this is the
    random draw of each forward."""
    block = randomised(Hamburger(16, num_bases=8, rand_init=True))
    # inductor's own random numbers are not eager's; with fallback_random
    # it draws the bases as eager does
    with torch._inductor.config.patch(fallback_random=True):
        assert_compiles_like_eager(block, torch.randn(2, 16, 7, 9))


@pytest.mark.parametrize(
    'kwargs, arg',
    [
        (dict(num_bases=0), 'num_bases'),
        (dict(num_splits=3), 'num_splits'),  # does not divide 16
        (dict(num_splits=True), 'num_splits'),
        (dict(train_steps=0), 'train_steps'),
        (dict(eval_steps=1.5), 'eval_steps'),
    ])
def test_bad_arguments(kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        Hamburger(16, **kwargs)
