"""Property-based fuzzing of every parser (issue #7 item 1); see ``contract.py``."""
