"""A simulated Kubernetes cluster that the official client and kubectl cannot tell apart.

See ``../shared/docs/SIM.md``. Nothing outside ``kpodtui.sim`` imports this
package except to start it for ``--sim`` and in tests.
"""
