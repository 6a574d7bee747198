"""Request-body types that mean what their JSON Schema says, for models validated strictly.

FastAPI validates a parsed body in Python mode, where a strict `int` refuses 2.0, which JSON Schema calls
an integer; a lax one takes `true` and "2", which it does not.
"""

from __future__ import annotations

from typing import Any

from pydantic import BeforeValidator


def _whole_number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# JSON Schema's integer, in a model with strict=True: 2 and 2.0, never 2.5, true or "2". Constraints go
# before it, so that the schema shows them as minimum/maximum:
#     Annotated[int, Field(ge=1, le=3650), WHOLE_NUMBER]
WHOLE_NUMBER = BeforeValidator(_whole_number)
