"""Single operators and small patterns as models, one file each (tiny shapes: a compile costs seconds)."""
