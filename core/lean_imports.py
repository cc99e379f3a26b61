"""Start-up cost: skip what Archivist's libraries import but Archivist never runs.

lancedb 0.40 imports lance_namespace, which imports ``lance_namespace_urllib3_client.models``; the
package around those models imports its whole generated REST client first (every API module): 1.3 s
of lancedb's 2.1 s import here, for remote namespaces Archivist never connects to (each CLI search
paid it). The package's own ``__init__`` is skipped and its submodules load on demand. Only for the
release this was checked with: any other falls back to the plain import, which is only slower.
"""

from __future__ import annotations

import importlib.util
import os
import sys

REST_CLIENT = "lance_namespace_urllib3_client"
CHECKED_WITH = {"0.13.0"}  # release of lance-namespace-urllib3-client


def skip_unused_rest_client() -> bool:
    """Returns True when the REST client's package initialisation will be skipped."""
    if REST_CLIENT in sys.modules:
        return False
    try:
        spec = importlib.util.find_spec(REST_CLIENT)
    except (ImportError, ValueError):
        return False
    if spec is None or not spec.submodule_search_locations:
        return False
    # The release, from its install record beside it (importlib.metadata alone costs 40 ms to import).
    site = os.path.dirname(list(spec.submodule_search_locations)[0])
    if not any(os.path.isdir(os.path.join(site, f"{REST_CLIENT}-{v}.dist-info")) for v in CHECKED_WITH):
        return False
    sys.modules[REST_CLIENT] = importlib.util.module_from_spec(spec)  # a package, not yet executed
    return True
