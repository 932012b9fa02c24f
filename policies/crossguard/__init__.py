"""Conveyor's CrossGuard policy pack: the critical rules, enforced by `pulumi preview`/`up`."""
