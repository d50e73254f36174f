import json

import pytest
import torch

from mmattn.benchmark import Result, compare, format_table, peak_memory

MB = 1_000_000


def test_peak_memory_counts_a_known_allocation():
    assert peak_memory(lambda: torch.empty(MB // 4)) >= MB


def test_peak_memory_is_the_running_peak_not_the_sum():

    def alloc_free_alloc():
        a = torch.empty(4 * MB, dtype=torch.uint8)
        b = torch.empty(8 * MB, dtype=torch.uint8)
        del a
        c = torch.empty(2 * MB, dtype=torch.uint8)  # fits in a's old room
        return b, c

    peak = peak_memory(alloc_free_alloc)
    assert 12 * MB <= peak < 14 * MB


def test_peak_memory_excludes_what_exists_before_the_call():
    big = torch.ones(2 * MB)  # 8 MB of float32
    assert peak_memory(lambda: big.sum()) < MB


def test_compare_interleaves_rounds_and_reports_every_case():
    calls = []
    cases = {name: (lambda n=name: calls.append(n)) for name in 'abc'}
    results = compare(cases, warmup=2, repeats=4, memory=False)

    assert [r.name for r in results] == ['a', 'b', 'c']
    assert len(calls) == 3 * 6
    rounds = [calls[i:i + 3] for i in range(0, len(calls), 3)]
    assert all(sorted(r) == ['a', 'b', 'c'] for r in rounds)
    assert [r[0] for r in rounds] == ['a', 'b', 'c', 'a', 'b', 'c']  # rotated
    for r in results:
        assert len(r.times) == 4
        assert r.min <= r.median <= r.max
        assert r.peak_bytes is None


def test_compare_measures_memory_in_one_extra_call():
    count = []

    def case():
        count.append(1)
        return torch.empty(MB // 4)

    (result, ) = compare({'alloc': case}, warmup=1, repeats=2)
    assert len(count) == 4
    assert result.peak_bytes >= MB


@pytest.mark.parametrize('kwargs', [
    dict(cases={}),
    dict(cases={'a': int}, repeats=0),
    dict(cases={'a': int}, warmup=-1),
])
def test_compare_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        compare(**kwargs)


def test_format_table_ratios_against_the_first():
    results = [
        Result('base', 0.010, 0.009, 0.012, 4 * 2**20),
        Result('slow', 0.025, 0.020, 0.030, 2 * 2**20),
        Result('fast', 0.005, 0.004, 0.006, 8 * 2**20),
    ]
    lines = format_table(results, batch_size=2).splitlines()
    assert lines[0].startswith('| case | median | min | max | time / first')
    assert len(lines) == 2 + 3
    cells = [[c.strip() for c in line.strip('|').split('|')] for line in lines]
    assert cells[2][:5] == ['base', '10.00 ms', '9.00 ms', '12.00 ms', '1.00×']
    assert cells[3][4] == '2.50×' and cells[4][4] == '0.50×'
    assert [c[5] for c in cells[2:]] == ['200.0', '80.0', '400.0']
    assert [c[6] for c in cells[2:]] == ['4.0 MiB', '2.0 MiB', '8.0 MiB']
    assert [c[7] for c in cells[2:]] == ['1.00×', '0.50×', '2.00×']


def test_format_table_without_memory_has_no_memory_columns():
    table = format_table([Result('a', 1.5, 1.0, 2.0)])
    assert 'memory' not in table and '1.50 s' in table


def test_result_to_dict_is_json_able():
    (result, ) = compare({'a': lambda: None}, warmup=0, repeats=2)
    data = json.loads(json.dumps(result.to_dict()))
    assert data['name'] == 'a' and len(data['times']) == 2


def test_format_table_can_leave_out_ratios():
    results = [Result('a', 1.0, 1.0, 1.0, 10), Result('b', 2.0, 2.0, 2.0, 20)]
    table = format_table(results, ratios=False)
    assert '/ first' not in table and '×' not in table
    head = '| case | median | min | max | peak memory |'
    assert table.splitlines()[0] == head


def test_format_table_ratios_within_each_group():
    results = [
        Result('a infer', 0.010, 0.010, 0.010, 4 * 2**20),
        Result('b infer', 0.020, 0.020, 0.020, 2 * 2**20),
        Result('a train', 0.100, 0.100, 0.100, 8 * 2**20),
        Result('b train', 0.050, 0.050, 0.050, 16 * 2**20),
    ]
    table = format_table(
        results, groups=['infer', 'infer', 'train', 'train'])
    cells = [[c.strip() for c in line.strip('|').split('|')]
             for line in table.splitlines()[2:]]
    assert [c[4] for c in cells] == ['1.00×', '2.00×', '1.00×', '0.50×']
    assert [c[6] for c in cells] == ['1.00×', '0.50×', '1.00×', '2.00×']
    with pytest.raises(ValueError, match='one key per result'):
        format_table(results, groups=['infer'])


def test_keep_freed_memory_names_the_remedy_without_glibc(monkeypatch):
    import mmattn.benchmark as bench
    monkeypatch.setattr(bench.platform, 'libc_ver', lambda: ('', ''))
    with pytest.raises(RuntimeError, match='jemalloc or tcmalloc'):
        bench.keep_freed_memory()
