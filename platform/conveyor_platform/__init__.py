"""Conveyor's Pulumi program as an importable package (the `platform/` directory is not one).

`program.build` declares every component of one stack from a validated `StackConfig`;
`platform/__main__.py` is the thin entry point Pulumi runs; `synth` runs the same program under
the SDK's mocks and writes the resource graph that tests, policy and cost read.
"""
