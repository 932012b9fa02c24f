"""The capacity and cost model: pure pricing of the synthesized resource graph.

`prices.yaml` (one dated, sourced table of AWS list prices) and `assumptions.yaml` (usage that is
not a resource: traffic, logs, growth, users → orders → capacity) are the only inputs besides the
graph `conveyor synth` writes. `model.price` turns them into line items; `capacity` answers the
product brief's questions by resizing the graph for a load and pricing it again.
"""
