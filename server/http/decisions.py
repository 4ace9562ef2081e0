"""`/api/v1/rooms/{slug}/proposals|polls|decisions…` (docs/decisions.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from server.decisions.records import markdown
from server.decisions.service import Decisions
from server.http.bodies import json_object
from server.http.compat import app_services, client_address, in_room
from server.http.params import path_id
from server.rooms.service import Rooms, RoomView
from storage.accounts import StoredUser

Act = Callable[[Decisions, RoomView], Awaitable[Response]]


async def _act(request: Request, act: Act) -> Response:
    services = app_services(request)

    async def run(rooms: Rooms, view: RoomView, caller: StoredUser | None) -> Response:
        return await act(services.decisions, view)

    return await in_room(request, run)


def _id(request: Request, name: str) -> int:
    return path_id(request.path_params[name])


async def proposals(request: Request) -> Response:
    if request.method == "POST":
        body = await json_object(request)

        async def create(decisions: Decisions, view: RoomView) -> Response:
            proposal = await decisions.create_proposal(view, body, client_address(request))
            return JSONResponse(await decisions.proposal_json(proposal), status_code=201)

        return await _act(request, create)

    async def listing(decisions: Decisions, view: RoomView) -> Response:
        found = await decisions.proposals.in_room(view.room.id)
        return JSONResponse({"proposals": [await decisions.proposal_json(p) for p in found]})

    return await _act(request, listing)


async def proposal(request: Request) -> Response:
    async def show(decisions: Decisions, view: RoomView) -> Response:
        found = await decisions.proposal(view, _id(request, "proposal_id"))
        shown: dict[str, Any] = await decisions.proposal_json(found)
        shown["polls"] = [
            p.id for p in await decisions.polls.in_room(view.room.id) if p.proposal_id == found.id
        ]
        return JSONResponse(shown)

    return await _act(request, show)


async def amendments(request: Request) -> Response:
    body = await json_object(request)

    async def create(decisions: Decisions, view: RoomView) -> Response:
        amendment = await decisions.create_amendment(
            view, _id(request, "proposal_id"), body, client_address(request)
        )
        return JSONResponse(await decisions.proposal_json(amendment), status_code=201)

    return await _act(request, create)


async def move(request: Request) -> Response:
    body = await json_object(request)

    async def act(decisions: Decisions, view: RoomView) -> Response:
        moved = await decisions.move(
            view, _id(request, "proposal_id"), body.get("state"), client_address(request)
        )
        return JSONResponse(await decisions.proposal_json(moved))

    return await _act(request, act)


async def open_vote(request: Request) -> Response:
    body = await json_object(request)

    async def act(decisions: Decisions, view: RoomView) -> Response:
        poll = await decisions.open_vote(
            view, _id(request, "proposal_id"), body, client_address(request)
        )
        return JSONResponse(await decisions.poll_json(view, poll), status_code=201)

    return await _act(request, act)


async def polls(request: Request) -> Response:
    if request.method == "POST":
        body = await json_object(request)

        async def create(decisions: Decisions, view: RoomView) -> Response:
            poll = await decisions.open_poll(view, body, client_address(request))
            return JSONResponse(await decisions.poll_json(view, poll), status_code=201)

        return await _act(request, create)

    async def listing(decisions: Decisions, view: RoomView) -> Response:
        found = await decisions.polls.in_room(view.room.id)
        return JSONResponse({"polls": [await decisions.poll_json(view, p) for p in found]})

    return await _act(request, listing)


async def poll(request: Request) -> Response:
    async def show(decisions: Decisions, view: RoomView) -> Response:
        found = await decisions.poll(view, _id(request, "poll_id"))
        return JSONResponse(await decisions.poll_json(view, found))

    return await _act(request, show)


async def cast(request: Request) -> Response:
    body = await json_object(request)

    async def act(decisions: Decisions, view: RoomView) -> Response:
        answer = await decisions.cast(view, _id(request, "poll_id"), body)
        status = 201 if answer["outcome"] == "cast" else 200
        return JSONResponse(answer, status_code=status, headers={"Cache-Control": "no-store"})

    return await _act(request, act)


async def receipt(request: Request) -> Response:
    async def act(decisions: Decisions, view: RoomView) -> Response:
        answer = await decisions.check_receipt(
            view, _id(request, "poll_id"), request.path_params["receipt"]
        )
        return JSONResponse(answer, headers={"Cache-Control": "no-store"})

    return await _act(request, act)


async def close(request: Request) -> Response:
    async def act(decisions: Decisions, view: RoomView) -> Response:
        record = await decisions.close(view, _id(request, "poll_id"), client_address(request))
        return JSONResponse(record)

    return await _act(request, act)


async def decisions(request: Request) -> Response:
    async def listing(decisions: Decisions, view: RoomView) -> Response:
        return JSONResponse({"decisions": await decisions.decisions(view)})

    return await _act(request, listing)


async def decision(request: Request) -> Response:
    raw = request.path_params["position"]
    as_markdown = raw.endswith(".md")
    position = path_id(raw.removesuffix(".md"))

    async def show(decisions: Decisions, view: RoomView) -> Response:
        record, digest = await decisions.decision(view, position)
        if as_markdown:
            return PlainTextResponse(markdown(record, digest), media_type="text/markdown")
        return JSONResponse(record)

    return await _act(request, show)
