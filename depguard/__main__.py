"""``python -m depguard``."""

from depguard.cli import main

raise SystemExit(main())
