# Type stub of cmpi/_config.py, which meson generates at build time
# (tools/mpi_build_config.py).
from typing import Any

CONFIG: dict[str, Any]
