"""A local Kubernetes control plane, built from source, for the operator and its tests."""
