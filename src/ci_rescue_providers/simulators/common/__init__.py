"""Building blocks shared by the provider simulators (GitHub, GitLab, CircleCI).

``server``: the threaded loopback HTTP server; ``router``: request/response values, routing
and page windows; ``recording``: recorded requests and injectable faults; ``blobs``: signed
credential-free download URLs; ``jobs``: checks shared by every ``SimJob``; ``facade``: the
base class of the public ``*Simulator`` classes (lifecycle, recording, faults, the HTTP entry
point).
"""

from __future__ import annotations
