"""Benchmarks: the app's hot paths beside the bare database work they stand on (`training-app bench`)."""
