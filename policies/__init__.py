"""Policy as code over what Conveyor deploys: checkov and CrossGuard over the synthesized graph."""
