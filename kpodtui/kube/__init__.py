"""Everything that talks to the API server: the client from kubeconfig / context /
in-cluster (:mod:`.config`), raw requests with retries (:mod:`.api`, :mod:`.retry`),
shared watches (:mod:`.watch`), log followers that resume exactly (:mod:`.logs`)
and exec (:mod:`.exec`). The ``kubernetes`` package is imported lazily, only on
paths that reach a cluster.
"""
