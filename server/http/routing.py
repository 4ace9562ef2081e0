"""The API's router: Starlette's, with the routes a path could match looked up first.

Starlette tries a mount's routes one by one, each with a regular expression: 43 tries for the
ballot route on every request, about 4% of its server CPU (bench/rest_cpu.py). A path
parameter of one of Starlette's usual kinds (text, integer, number, UUID) matches within one
segment, so such a route can only match a path with as many segments as its own and, where
its first segment is fixed, the same first segment. `ShapedRouter` files the routes by that
shape once, and tries only those filed under the request path's shape, in their order in the
table. Whatever matches is what Starlette would have matched, since no other route could; a
path that matches nothing goes through Starlette's own routing (the redirect to the path
with or without its trailing slash, or 404).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette._utils import get_route_path  # the path Starlette's routes match against
from starlette.convertors import (
    FloatConvertor,
    IntegerConvertor,
    StringConvertor,
    UUIDConvertor,
)
from starlette.routing import BaseRoute, Match, Route, Router
from starlette.types import Receive, Scope, Send

Shape = tuple[int, str | None]  # how many segments, and the first one where it is fixed
ONE_SEGMENT = (StringConvertor, IntegerConvertor, FloatConvertor, UUIDConvertor)


def shape_of(route: BaseRoute) -> Shape | None:
    """The shape of every path the route matches; None if it may match paths of several
    shapes (a mount, a ``{…:path}`` parameter, a route of another kind)."""
    if type(route) is not Route:
        return None
    if not all(isinstance(c, ONE_SEGMENT) for c in route.param_convertors.values()):
        return None
    segments = route.path.split("/")[1:]
    return len(segments), None if "{" in segments[0] else segments[0]


class ShapedRouter(Router):
    """A router that tries only the routes of the request path's shape (see above)."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        super().__init__(routes=list(routes))
        shapes = [shape_of(route) for route in self.routes]

        def fitting(count: int, first: str | None) -> list[BaseRoute]:
            return [
                route
                for route, shape in zip(self.routes, shapes, strict=True)
                if shape is None or (shape[0] == count and shape[1] in (None, first))
            ]

        self._unshaped = fitting(-1, None)  # for a path of a shape no route has
        known = {shape for shape in shapes if shape is not None}
        self._by_shape = {shape: fitting(*shape) for shape in known}
        self._by_shape.update({(count, None): fitting(count, None) for count, _ in known})

    def candidates(self, route_path: str) -> list[BaseRoute]:
        """The routes that may match ``route_path``, in the table's order."""
        count = route_path.count("/")
        found = self._by_shape.get((count, route_path[1:].partition("/")[0]))
        if found is None:
            found = self._by_shape.get((count, None), self._unshaped)
        return found

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().app(scope, receive, send)
            return
        scope.setdefault("router", self)
        partial: tuple[BaseRoute, Scope] | None = None
        for route in self.candidates(get_route_path(scope)):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope["route"] = route
                scope.update(child_scope)
                await route.handle(scope, receive, send)
                return
            if match is Match.PARTIAL and partial is None:
                partial = route, child_scope
        if partial is not None:  # the path is known and the method is not: 405
            route, child_scope = partial
            scope["route"] = route
            scope.update(child_scope)
            await route.handle(scope, receive, send)
            return
        await super().app(scope, receive, send)  # nothing matches: Starlette's redirect or 404
