"""Tracking: runs, their records, and automatic capture in notebook cells."""
