"""``python -m deltastream``: the command line of :mod:`deltastream.cli`."""

from __future__ import annotations

from deltastream.cli import main

if __name__ == "__main__":
    main()
