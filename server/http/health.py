"""`/healthz`, `/readyz` and `/metrics` (DESIGN §2.2)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.metrics import CONTENT_TYPE

if TYPE_CHECKING:
    from server.services import Services

READY_TIMEOUT = 2.0


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """200 ``ready``; 200 ``degraded`` when only Redis is missing (the node serves its own
    clients, writes go on to SQL, other nodes' news is late: docs/scaling.md); 503
    ``unavailable`` when the database does not answer."""
    services: Services = request.app.state.services
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(services.database.ping(), READY_TIMEOUT)
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready"; the reason goes to the body
        checks["database"] = f"unavailable: {type(exc).__name__}"
    if services.redis is not None:
        try:
            await asyncio.wait_for(services.redis.ping(), READY_TIMEOUT)
            # the bus listens on a connection of its own: ready once it is back, too
            checks["redis"] = "ok" if services.bus.connected else "unavailable: bus reconnecting"
        except Exception as exc:
            checks["redis"] = f"unavailable: {type(exc).__name__}"
    if checks["database"] != "ok":
        status = "unavailable"
    elif any(v != "ok" for v in checks.values()):
        status = "degraded"
    else:
        status = "ready"
    return JSONResponse(
        {"status": status, "checks": checks}, status_code=503 if status == "unavailable" else 200
    )


async def metrics(request: Request) -> Response:
    services: Services = request.app.state.services
    return Response(services.metrics.render(), media_type=CONTENT_TYPE)
