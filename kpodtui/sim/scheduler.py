"""Scheduling onto the sim's nodes: resource fit and nodeSelector, with the scheduler's messages."""

from __future__ import annotations

from typing import Any

from kpodtui.sim.node import NodeConfig, parse_quantity, pod_requests

Obj = dict[str, Any]


def unfit_reasons(pod: Obj, node: NodeConfig, bound: list[Obj]) -> list[str]:
    """Why ``pod`` cannot go on the node (empty: it fits), as the scheduler words it.

    ``bound`` are the other pods on the node that still hold resources.
    """
    spec = pod.get("spec") or {}
    selector = spec.get("nodeSelector") or {}
    if any(node.labels.get(k) != v for k, v in selector.items()) or not _affinity_matches(spec, node):
        return ["node(s) didn't match Pod's node affinity/selector"]
    reasons = []
    if len(bound) + 1 > int(node.pods):
        reasons.append("Too many pods")
    want = pod_requests(spec)
    used: dict[str, float] = {}
    for other in bound:
        for k, v in pod_requests(other.get("spec") or {}).items():
            used[k] = used.get(k, 0.0) + v
    for resource, cap in (("cpu", node.cpu), ("memory", node.memory),
                          ("ephemeral-storage", node.ephemeral_storage)):
        if want.get(resource, 0.0) > parse_quantity(cap) - used.get(resource, 0.0) + 1e-9:
            reasons.append(f"Insufficient {resource}")
    for resource in want:
        if resource not in ("cpu", "memory", "ephemeral-storage", "pods") and want[resource] > 0:
            reasons.append(f"Insufficient {resource}")
    return reasons


def _affinity_matches(spec: Obj, node: NodeConfig) -> bool:
    """Required node affinity (matchExpressions on labels); preferred terms never block."""
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        return True
    for term in terms:  # terms are ORed, expressions ANDed
        if all(_expr_matches(e, node.labels) for e in term.get("matchExpressions") or []):
            return True
    return False


def _expr_matches(expr: Obj, labels: dict[str, str]) -> bool:
    key, op, values = expr.get("key", ""), expr.get("operator", ""), expr.get("values") or []
    if op == "In":
        return labels.get(key) in values
    if op == "NotIn":
        return labels.get(key) not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    if op in ("Gt", "Lt") and key in labels and values:
        try:
            a, b = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return a > b if op == "Gt" else a < b
    return False


def failed_scheduling_message(per_node: list[list[str]]) -> str:
    """``0/2 nodes are available: 2 Insufficient cpu. preemption: ...`` as the scheduler says it,
    from each node's reasons (one list per node)."""
    counts: dict[str, int] = {}
    for reasons in per_node:
        for r in reasons:
            counts[r] = counts.get(r, 0) + 1
    n = len(per_node)
    parts = ", ".join(f"{c} {r}" for r, c in sorted(counts.items()))
    if set(counts) == {"node(s) didn't match Pod's node affinity/selector"}:
        preemption = f"0/{n} nodes are available: {n} Preemption is not helpful for scheduling."
    else:
        preemption = f"0/{n} nodes are available: {n} No preemption victims found for incoming pod."
    return f"0/{n} nodes are available: {parts}. preemption: {preemption}"
