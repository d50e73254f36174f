"""tools/analysis_tools/ca_comparison.py at a tiny size: the four models,
their parameter counts (the official ones at width 1.0), MAdds and ratios to
the baseline, the JSON file. Timings are printed, never asserted."""
import json

from analysis_tools import markdown_rows
from conftest import run_tool

COUNTS = {'MobileNetV2': 3_504_872, '+ SE': 3_888_208, '+ CBAM': 3_889_808,
          '+ CA': 3_950_648}


def test_prints_the_comparison_with_ratios(tmp_path):
    out = tmp_path / 'ca.json'
    result = run_tool('analysis_tools/ca_comparison.py', '--shape', 32, 48,
                      '--warmup', 0, '--repeats', 1, '--threads', 1,
                      '--json', out, cwd=tmp_path)
    assert 'MAdds (32×48)' in result.output
    rows = markdown_rows(result.output)
    assert [r[0] for r in rows] == list(COUNTS)
    for row in rows:
        params = int(row[1].replace(',', ''))
        assert params == COUNTS[row[0]]
        assert row[2] == f"{params / COUNTS['MobileNetV2']:.3f}×"
        assert row[6].endswith('×') and float(row[6][:-1]) > 0
    assert rows[0][4] == '1.000×' and rows[0][6] == '1.00×'
    saved = json.loads(out.read_text())
    assert saved['shape'] == [32, 48]
    madds = {r['model']: r['madds'] for r in saved['rows']}
    # every block adds work to the baseline's; CA, at 32×48, the most
    assert madds['+ CA'] > madds['+ CBAM'] > madds['+ SE'] > \
        madds['MobileNetV2'] > 0
    assert all(r['latency'] > 0 for r in saved['rows'])
