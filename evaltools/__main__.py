import sys

from evaltools.cli import main

sys.exit(main())
