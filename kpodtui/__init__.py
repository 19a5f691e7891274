"""kpodtui: run one-off tasks as Kubernetes pods from a terminal."""

__version__ = "0.1.0"
