"""No file of the repository names a path of the machine it was written on (a home directory, a workspace, a
scratch folder): such a path means nothing to a reader elsewhere and leaks how one machine was laid out.

A few scripts and tests use the scratch directory on purpose (a bench writes its scratch database there; a
path-parameter test tries to climb into it); each is allowed by file and for that one root only.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Spelt without slashes so that this file does not match itself.
MACHINE_ROOTS = ("work", "home", "Users", "tmp", "root", "mnt")
MACHINE_PATH = re.compile(r"(?<![\w.~/-])/(" + "|".join(MACHINE_ROOTS) + r")/[\w.-]")
ALLOWED = {
    "bench/gpu_runner_check.sh": {"tmp"},  # pip requirements and the check's output folder, on the device machine
    "bench/scale.py": {"tmp"},  # the benchmark's scratch database (SCALE_DIR overrides it)
    "bench/results/scale.txt": {"tmp"},  # the benchmark's output, which names that scratch database
    "tests/notebooks/test_parameter_kinds.py": {"tmp"},  # a path parameter that tries to climb out: refused
}


def _repository_files() -> list[str]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the files of the repository cannot be listed")
    return [name for name in listed.decode().split("\0") if name]


def machine_paths(text: str) -> set[str]:
    return {match.group(1) for match in MACHINE_PATH.finditer(text)}


def test_the_pattern_finds_machine_paths_and_leaves_other_paths_alone():
    assert machine_paths("see " + "/" + "work/shared/guide-review.md") == {"work"}
    assert machine_paths("(" + "/" + "home/alice/notes.txt)") == {"home"}
    assert machine_paths("'" + "/" + "Users/bob/x'") == {"Users"}
    assert machine_paths("/usr/local/go/src/runtime/proc.go, /debug/pprof/profile, https://go.dev/src/") == set()
    assert machine_paths("src/runtime/x.go and ../tmp/x and ~/work/x") == set()


def test_no_tracked_text_file_names_a_machine_path():
    files = _repository_files()
    found: dict[str, set[str]] = {}
    for name in files:
        path = ROOT / name
        if not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary
        roots = machine_paths(data.decode("utf-8", errors="replace")) - ALLOWED.get(name, set())
        if roots:
            found[name] = roots

    assert len(files) > 100  # the listing worked: the portal's own files were read
    assert "guide/content/claims.yaml" in files and "guide/content/README.md" in files
    assert found == {}
