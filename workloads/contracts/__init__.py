"""The messages Conveyor's services exchange: payload models, versions, topics, JSON Schemas.

The pydantic models in `events.py` are the source; `conveyor schemas write` renders one JSON Schema
file per message type and version into `schemas/`, and a test fails when the files drift. The
compatibility rule (`compatibility.py`) is the contract for evolution: a new version may only add
optional fields, so a consumer that reads version N keeps working when producers move to N+1.
"""
