import sys

from astro_mcp.cli import main

sys.exit(main())
