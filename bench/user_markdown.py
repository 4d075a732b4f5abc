"""Times the user-Markdown renderer on a megabyte of each hostile pattern (issue: well under a second).

.venv/bin/python bench/user_markdown.py
"""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from accounts.user_markdown import render_user_markdown
from tests.accounts.test_user_markdown import MEGABYTE

print(f"{'pattern':<22} {'bytes':>9} {'median s':>9} {'max s':>7}")
for pattern in MEGABYTE:
    times = []
    for _ in range(3):
        started = time.perf_counter()
        render_user_markdown(pattern)
        times.append(time.perf_counter() - started)
    print(f"{pattern[:16]!r:<22} {len(pattern.encode()):>9} {statistics.median(times):>9.3f} {max(times):>7.3f}")
