import sys

from kpodtui.cli import main

sys.exit(main())
