"""Container images of Conveyor's deployables, built on this machine with buildah (ADR 0032)."""
