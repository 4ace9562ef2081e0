"""The domain errors are one family: every error of server/ belongs to a kind the HTTP edge
maps, each package has its own root, and no two error classes share a name."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections import defaultdict

import server
import storage
from server.errors import DomainError
from server.http.errors import STATUS_OF_KIND, problem_of
from server.policy import Decision, Reason, refusal

PACKAGE_ROOTS = {
    "server.rooms": "RoomsError",
    "server.accounts": "AccountsError",
    "server.decisions": "DecisionsError",
    "server.policy": "PolicyRefusal",
    "server.documents": "DocumentsError",
    "server.live": "DiscussionError",
}
ROOTS = set(PACKAGE_ROOTS.values())


def _modules(package: object) -> list[object]:
    path = package.__path__  # type: ignore[attr-defined]
    prefix = package.__name__ + "."  # type: ignore[attr-defined]
    found = [package]
    for info in pkgutil.walk_packages(path, prefix):
        if info.name.endswith(("sandbox_worker", "__main__")):
            continue
        found.append(importlib.import_module(info.name))
    return found


def _exceptions() -> list[type[BaseException]]:
    classes = []
    for package in (server, storage):
        for module in _modules(package):
            for _, value in inspect.getmembers(module, inspect.isclass):
                defined_here = value.__module__ == module.__name__  # type: ignore[attr-defined]
                if defined_here and issubclass(value, BaseException):
                    classes.append(value)
    return classes


def test_no_two_error_classes_share_a_name() -> None:
    by_name: defaultdict[str, set[str]] = defaultdict(set)
    for kind in _exceptions():
        by_name[kind.__name__].add(f"{kind.__module__}.{kind.__qualname__}")
    shared = {name: where for name, where in by_name.items() if len(where) > 1}
    assert shared == {}


def test_every_domain_error_has_a_kind_and_its_package_root() -> None:
    domain = [k for k in _exceptions() if issubclass(k, DomainError)]
    assert len(domain) > 20
    kinds = tuple(STATUS_OF_KIND)
    for kind in domain:
        if kind is DomainError or kind in kinds or kind.__name__ in ROOTS:
            continue
        if kind.__subclasses__():
            continue  # a base of several kinds (AdmissionRefused): its leaves are checked
        assert issubclass(kind, kinds), kind  # the edge maps it to a status
        package = kind.__module__.rsplit(".", 1)[0] if kind.__module__.count(".") > 1 else ""
        root = PACKAGE_ROOTS.get(kind.__module__) or PACKAGE_ROOTS.get(package)
        if root is not None:
            assert root in {base.__name__ for base in kind.__mro__}, kind


def test_a_policy_refusal_maps_by_its_reason() -> None:
    answers = {
        reason: problem_of(refusal(Decision(False, reason)))
        for reason in (Reason.NOT_AUTHENTICATED, Reason.ROLE, Reason.ARCHIVED, Reason.LOCKED)
    }
    assert {r: (p.status, p.slug) for r, p in answers.items()} == {
        Reason.NOT_AUTHENTICATED: (401, "unauthorized"),
        Reason.ROLE: (403, "forbidden"),
        Reason.ARCHIVED: (403, "room-archived"),
        Reason.LOCKED: (403, "forbidden"),
    }
    assert answers[Reason.NOT_AUTHENTICATED].headers == {"WWW-Authenticate": 'Bearer realm="veche"'}
    assert answers[Reason.ROLE].extra == {"reason": "role"}
