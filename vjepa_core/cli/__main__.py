import sys

from vjepa_core.cli.main import main

sys.exit(main())
