"""The accounts domain without a network: signing, rate limits, the key file, passwords."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from server.accounts import InvalidToken
from server.accounts.passwords import Passwords, generate_password
from server.accounts.ratelimit import SlidingWindow
from server.accounts.secret_key import load_or_create
from server.accounts.signing import TokenSigner, secret_hash
from server.accounts.throttle import LocalThrottle, Reservation, SharedThrottle
from server.settings import Settings, SettingsError
from storage.redis_login_windows import RedisLoginWindows


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_signed_tokens_verify_and_tampering_is_refused() -> None:
    signer = TokenSigner(b"k" * 32)
    token = signer.sign({"sub": 1, "sid": "s", "exp": 2, "typ": "access"})
    assert signer.verify(token) == {"sub": 1, "sid": "s", "exp": 2, "typ": "access"}
    body, mac = token.split(".")
    forged = TokenSigner(b"x" * 32).sign({"sub": 2, "sid": "s", "exp": 2, "typ": "access"})
    for bad in (
        forged,
        f"{forged.split('.')[0]}.{mac}",  # another payload under this token's MAC
        f"{body}.{mac[:-2]}AA",
        body,
        "",
        "garbage.garbage",
    ):
        with pytest.raises(InvalidToken):
            signer.verify(bad)
    with pytest.raises(ValueError, match="16 bytes"):
        TokenSigner(b"short")


def test_secret_hash_is_sha256_hex() -> None:
    assert secret_hash("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_sliding_window_counts_within_the_window_only() -> None:
    clock = Clock()
    window = SlidingWindow(3, 60.0, clock)
    for _ in range(3):
        assert window.retry_after("ana") is None
        window.hit("ana")
        clock.now += 10
    assert window.retry_after("ana") == pytest.approx(30.0)  # the first hit leaves at 1060
    assert window.retry_after("boyan") is None
    clock.now = 1060.0
    assert window.retry_after("ana") is None  # a sliding window: one slot is free again
    window.hit("ana")
    assert window.retry_after("ana") == pytest.approx(10.0)
    window.reset("ana")
    assert window.retry_after("ana") is None


def test_the_key_file_is_created_once_with_mode_0600_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret_key"
    key = load_or_create(path)
    assert len(key) >= 43
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700  # made by it: private too
    assert load_or_create(path) == key
    assert load_or_create(tmp_path / "elsewhere" / "secret_key") != key


def test_the_key_file_lives_next_to_the_sqlite_database() -> None:
    assert Settings().secret_key_file() == Path("var/secret_key")
    sqlite = Settings(database_url="sqlite+aiosqlite:////srv/veche/data.db")
    assert sqlite.secret_key_file() == Path("/srv/veche/secret_key")
    postgres = Settings(database_url="postgresql+asyncpg://veche@db/veche")
    assert postgres.secret_key_file() == Path("var/secret_key")


def test_a_short_secret_key_is_refused() -> None:
    with pytest.raises(SettingsError, match="at least 32"):
        Settings.from_env({"VECHE_SECRET_KEY": "too-short"})
    assert Settings.from_env({"VECHE_SECRET_KEY": "k" * 32}).secret_key == "k" * 32


async def test_passwords_are_argon2id_and_unknown_users_fail_the_same_way() -> None:
    passwords = Passwords()
    password = generate_password()
    assert len(password) == 24
    hashed = await passwords.hash(password)
    assert hashed.startswith("$argon2id$")
    assert await passwords.verify(hashed, password)
    assert not await passwords.verify(hashed, password + "x")
    assert not await passwords.verify(None, password)
    assert not await passwords.verify("not a hash", password)


@pytest.mark.parametrize("raw", ["nan", "inf", "-inf", "NaN"])
def test_float_settings_refuse_non_finite_numbers(raw: str) -> None:
    # nan compares false with every bound and inf lifts one: neither is a setting.
    with pytest.raises(SettingsError, match="VECHE_CRDT_BUDGET must be a finite number"):
        Settings.from_env({"VECHE_CRDT_BUDGET": raw})


async def test_the_shared_login_count_falls_back_to_this_node_without_redis() -> None:
    clock = Clock()
    local = LocalThrottle(SlidingWindow(2, 60.0, clock), SlidingWindow(100, 60.0, clock))
    throttle = SharedThrottle(RedisLoginWindows("redis://127.0.0.1:1/0"), (2, 100), local)
    try:
        first = await throttle.reserve("ана", "192.0.2.1")
        assert isinstance(first, Reservation)
        assert not first.shared  # counted here: Redis is unreachable
        await throttle.succeeded(first)  # and given back here
        for _ in range(2):
            assert isinstance(await throttle.reserve("ана", "192.0.2.1"), Reservation)
        assert await throttle.reserve("ана", "192.0.2.1") == pytest.approx(60.0)
    finally:
        await throttle.close()
