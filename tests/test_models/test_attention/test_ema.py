"""EMAU against a reference written from the official code, the moving
average of the bases (train only, all-reduced, bf16-safe), what learns, and
bad arguments. A two-process gloo run checks the all-reduce for real."""
import os

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

import mmattn.models.attention.ema as ema_module
from mmattn.models.attention.ema import EMAU


def reference(block, x):
    """The official ``EMAU.forward``: output and final bases."""
    def l2norm(t):
        return t / (1e-6 + t.norm(dim=1, keepdim=True))

    b, c, h, w = x.shape
    feats = F.conv2d(x, block.conv1.weight, block.conv1.bias).view(b, c, -1)
    mu = block.mu.repeat(b, 1, 1)
    for _ in range(block.num_stages):
        z = torch.softmax(torch.bmm(feats.permute(0, 2, 1), mu), dim=2)
        z_ = z / (1e-6 + z.sum(dim=1, keepdim=True))
        mu = l2norm(torch.bmm(feats, z_))
    recon = F.relu(mu.matmul(z.permute(0, 2, 1)).view(b, c, h, w))
    return F.relu(block.norm(block.conv2(recon)) + x), mu


def block_and_input(**kwargs):
    torch.manual_seed(0)
    return EMAU(16, num_bases=8, **kwargs), torch.randn(2, 16, 5, 7)


def test_matches_official_forward_in_eval():
    block, x = block_and_input()
    block.eval()
    with torch.no_grad():
        torch.testing.assert_close(block(x), reference(block, x)[0])


def test_no_update_in_eval():
    block, x = block_and_input()
    before = block.mu.clone()
    with torch.no_grad():
        block.eval()(x)
    assert torch.equal(block.mu, before)


def test_moving_average_in_train():
    block, x = block_and_input(momentum=0.3)
    before = block.mu.clone()
    with torch.no_grad():
        _, mu = reference(block.eval(), x)
        block.train()(x)
    expected = 0.7 * before + 0.3 * mu.mean(dim=0, keepdim=True)
    torch.testing.assert_close(block.mu, expected)


def test_update_goes_through_all_reduce_mean(monkeypatch):
    """Distributed runs average the new bases over processes; the update
    must use what the all-reduce returns (here: a stand-in that doubles)."""
    calls = []

    def fake_all_reduce(tensor, op='sum', group=None):
        calls.append(op)
        tensor.mul_(2)

    monkeypatch.setattr(ema_module, 'all_reduce', fake_all_reduce)
    block, x = block_and_input(momentum=0.5)
    before = block.mu.clone()
    with torch.no_grad():
        _, mu = reference(block.eval(), x)
        block.train()(x)
    assert calls == ['mean']
    expected = 0.5 * before + 0.5 * 2 * mu.mean(dim=0, keepdim=True)
    torch.testing.assert_close(block.mu, expected)


def test_bf16_training_step_updates_fp32_bases():
    block, x = block_and_input()
    before = block.mu.clone()
    block.train()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = block(x)
    out.float().sum().backward()
    assert block.mu.dtype == torch.float32
    assert not torch.equal(block.mu, before)
    assert torch.isfinite(block.mu).all()


def test_what_learns():
    """conv1 is a fixed projection (no gradient reaches it in the official
    code either): buffers, not parameters. conv2 and the norm learn."""
    block, x = block_and_input()
    assert {name for name, _ in block.named_parameters()} == {
        'conv2.weight', 'norm.weight', 'norm.bias'}
    assert {'conv1.weight', 'conv1.bias', 'mu'} <= set(block.state_dict())
    block.train()(x).sum().backward()
    assert block.conv2.weight.grad.abs().sum() > 0


@pytest.mark.parametrize('kwargs,arg', [
    (dict(num_bases=0), 'num_bases'),
    (dict(num_stages=0), 'num_stages'),
    (dict(momentum=1.5), 'momentum'),
])
def test_bad_arguments(kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        EMAU(16, **kwargs)


def _distributed_step(rank, world_size, init_file, out_dir):
    torch.set_num_threads(1)  # OpenMP pools do not survive a fork
    dist.init_process_group('gloo', init_method=f'file://{init_file}',
                            rank=rank, world_size=world_size)
    torch.manual_seed(0)  # same initial bases on every rank
    block = EMAU(16, num_bases=8, momentum=0.5)
    torch.manual_seed(1 + rank)  # a different batch on each rank
    x = torch.randn(2, 16, 5, 7)
    with torch.no_grad():
        _, mu = reference(block.eval(), x)
        initial = block.mu.clone()
        block.train()(x)
    torch.save(dict(initial=initial, local=mu.mean(0, keepdim=True),
                    mu=block.mu), os.path.join(out_dir, f'{rank}.pth'))
    dist.destroy_process_group()


def test_bases_are_averaged_over_processes(tmp_path):
    # fork: the workers inherit the imports (spawning re-imports mmattn)
    mp.start_processes(_distributed_step, nprocs=2, start_method='fork',
                       args=(2, str(tmp_path / 'init'), str(tmp_path)))
    results = [torch.load(tmp_path / f'{rank}.pth') for rank in range(2)]
    torch.testing.assert_close(results[0]['mu'], results[1]['mu'])
    mean = (results[0]['local'] + results[1]['local']) / 2
    torch.testing.assert_close(results[0]['mu'],
                               0.5 * results[0]['initial'] + 0.5 * mean)
