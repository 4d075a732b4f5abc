"""Toolchain: benchmarks run on the notebook runners, with regression detection per runner class."""
