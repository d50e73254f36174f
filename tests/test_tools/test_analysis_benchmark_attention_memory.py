"""tools/analysis_tools/benchmark_attention_memory.py on small maps: every pair
agrees numerically, and each comparison prints one table with ratios."""
import re

from analysis_tools import load, markdown_rows

bench = load('benchmark_attention_memory')


def test_smoke_run_prints_a_table_per_comparison(capsys):
    bench.main(['--size-divisor', '8', '--warmup', '0', '--repeats', '1'])
    out = capsys.readouterr().out
    titles = re.findall(r'^(\w+) (eval|train step), \(([\d, ]+)\)', out,
                        flags=re.M)
    assert [(t[0], t[1]) for t in titles] == [
        ('NonLocal', 'eval'), ('CrissCross', 'eval'), ('PAM', 'eval'),
        ('PAM', 'train step'), ('DNL', 'eval'), ('GloRe', 'eval'),
        ('Hamburger', 'eval'), ('Hamburger', 'train step'), ('OCR', 'eval'),
        ('LocalRelation', 'eval'), ('SANPairwise', 'eval'),
        ('SANPatchwise', 'eval')]
    assert titles[0][2] == '1, 256, 16, 16'
    diffs = [float(d) for d in re.findall(r'max \|difference\| (\S+)', out)]
    assert len(diffs) == 12 and max(diffs) < 1e-4
    tables = out.split('\n\n')
    rows = [markdown_rows(t) for t in tables if t.startswith('| case')]
    assert len(rows) == 12
    for pair in rows:
        assert len(pair) == 2 and pair[0][4] == '1.00×'
        assert pair[1][-1].endswith('×')
    assert 'target' not in out  # targets are stated for full size only
