"""`hall bench ...`: media benchmarks that print a table and one JSON line per result.

Each compares against a reference run in the same invocation (DESIGN.md): ours against ffmpeg on
the same generated inputs; absolute figures depend on the machine.
"""
