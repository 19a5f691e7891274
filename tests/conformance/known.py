"""The differences between the sim and the real API server that stay, with why.

Each key is an :mod:`fnmatch` pattern over a difference line of
:func:`tests.conformance.corpus.differences` (``CASE/STEP PATH: sim=... real=...``);
docs/SIM-CONFORMANCE.md explains each under its key. A new difference, or a
pattern that no longer matches anything, fails tests/conformance/test_conformance.py.
"""

KNOWN: dict[str, str] = {
    "*/* object.spec.volumes[[]0]*: sim='<missing>' real=*":
        "service-account volume: the ServiceAccount admission plugin adds a projected kube-api-access-* "
        "volume (token, kube-root-ca.crt, namespace) to every pod; the sim does not",
    "*/* object.spec.containers[[]0].volumeMounts[[]0]*: sim='<missing>' real=*":
        "service-account volume: ... and mounts it at /var/run/secrets/kubernetes.io/serviceaccount",
    "validation/wrong-type code: sim=422 * real=400 *":
        "go-decoder: a JSON value of the wrong type for a list or object field is refused by Go's decoder "
        "(400) before validation; the sim refuses it in validation (422)",
    "validation/wrong-type-int status.message: *":
        "go-decoder: Go's decoder names the Go struct (PodSpec) and the Go type (int64) of the field",
    "validation/not-json status.message: *":
        "go-decoder: Go's JSON parser words a syntax error its own way",
    "watch/list-too-old-continue status.message: *":
        "go-decoder: a malformed continue token is reported with Go's JSON parser error",
    "patches/immutable-field status.*message: *":
        "immutable-diff: the real message ends with a diff of the API server's internal Go structs",
    "watch/watch-too-old *":
        "watch-window: the sim keeps the last 5000 changes, so on a fresh sim resourceVersion 1 is not "
        "too old yet; the real API server's watch cache starts later (410 Expired)",
}
