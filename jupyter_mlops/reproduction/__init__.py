"""Reproducing a run from its record: the slice of recorded cells, the recorded data, the
environment check, a clean-kernel execution and the verdict (see :mod:`.runner`)."""
