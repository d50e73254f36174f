"""Every relative link of the Markdown docs (README.md, docs/, the config
folders' READMEs) names a file that exists, and a heading of it when the
link has an anchor (GitHub's anchor rule: lower case, punctuation dropped,
spaces to hyphens)."""
import glob
import os.path as osp
import re

import pytest
from conftest import REPO

DOCS = sorted(['README.md'] + [
    osp.relpath(p, REPO) for pattern in ('docs/*.md', 'configs/*/README.md')
    for p in glob.glob(osp.join(REPO, pattern))])
LINK = re.compile(r'\]\(([^)\s]+)\)')


def prose(path):
    """The text of ``path`` without fenced blocks and inline code."""
    with open(osp.join(REPO, path)) as f:
        text = re.sub(r'```.*?```', '', f.read(), flags=re.S)
    return re.sub(r'`[^`\n]*`', '', text)


def anchors(path):
    with open(path) as f:
        headings = re.findall(r'^#+ (.*)$', f.read(), re.M)
    return {re.sub(r'[^\w\- ]', '', h.strip().lower()).replace(' ', '-')
            for h in headings}


@pytest.mark.parametrize('doc', DOCS)
def test_relative_links_resolve(doc):
    broken = []
    for link in LINK.findall(prose(doc)):
        if re.match(r'[a-z]+:', link):
            continue
        path, _, anchor = link.partition('#')
        target = osp.normpath(osp.join(REPO, osp.dirname(doc), path)) \
            if path else osp.join(REPO, doc)
        if not osp.exists(target):
            broken.append(link)
        elif anchor and target.endswith('.md') \
                and anchor not in anchors(target):
            broken.append(f'{link} (no such heading)')
    assert not broken, broken
