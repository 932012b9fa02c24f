"""A one-node Kubernetes on this machine: containerd, kubelet, scheduler, kube-proxy (ADR 0032)."""
