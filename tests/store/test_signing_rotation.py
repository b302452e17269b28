"""The signing key rotates in Secrets Manager every 30 days (the daily check is safe to run
as often as wanted), keeping the previous key while what it signed may be in use."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.keys import Keyring

NOW = datetime(2026, 12, 6, 8, tzinfo=UTC)
EPOCH = int(NOW.timestamp())
DAY = 86_400


def test_rotation_is_due_only_when_the_current_key_is_old_enough(aws: object) -> None:
    from chalicelib.store.clients import AwsClients
    from chalicelib.store.secrets import SigningKeyStore

    assert isinstance(aws, AwsClients)
    secrets = aws.client("secretsmanager")
    secrets.create_secret(Name="keys", SecretString="s" * 64)  # a stage from before ids
    store = SigningKeyStore(aws, "keys")
    assert store.rotate_if_due(EPOCH, 30 * DAY, 40 * DAY) is True  # k0 has no age: now
    assert store.rotate_if_due(EPOCH + DAY, 30 * DAY, 40 * DAY) is False  # a day old
    assert store.rotate_if_due(EPOCH + 31 * DAY, 30 * DAY, 40 * DAY) is True
    stored = secrets.get_secret_value(SecretId="keys")["SecretString"]
    held = [k.id for k in Keyring.parse(stored).keys]
    assert held == [f"k{EPOCH + 31 * DAY}", f"k{EPOCH}"]  # k0 dropped, the previous kept


def test_unknown_key_ids_make_the_store_read_the_secret_at_most_every_few_seconds(
    aws: object,
) -> None:
    from chalicelib.keys import find_key
    from chalicelib.store.clients import AwsClients
    from chalicelib.store.secrets import SigningKeyStore

    assert isinstance(aws, AwsClients)
    aws.client("secretsmanager").create_secret(Name="keys", SecretString="s" * 64)
    store = SigningKeyStore(aws, "keys")
    store.rotate(EPOCH, 40 * DAY)
    reads = 0
    original = store._read

    def counted() -> Keyring:
        nonlocal reads
        reads += 1
        return original()

    store._read = counted  # type: ignore[method-assign]
    for n in range(50):  # a flood of tokens naming keys that could be newer, none real
        assert find_key(store, f"k{EPOCH + 1 + n}") is None
    assert reads <= 1


def test_two_rotations_of_the_same_keyring_at_once_write_one_new_key(aws: object) -> None:
    """A scheduled event delivered twice: both runs read the same keyring and each makes a
    new key; the second put is refused and takes the first's, so no key anything may have
    signed with is replaced."""
    from chalicelib.store.clients import AwsClients
    from chalicelib.store.secrets import SigningKeyStore

    assert isinstance(aws, AwsClients)
    aws.client("secretsmanager").create_secret(Name="keys", SecretString="s" * 64)
    first, second = SigningKeyStore(aws, "keys"), SigningKeyStore(aws, "keys")
    second.keyring()  # read before the first one rotates
    made = first.rotate(EPOCH, 40 * DAY)
    reads = [Keyring.parse("s" * 64)]  # its read inside rotate() still saw the old keyring
    real = second._read
    second._read = lambda: reads.pop() if reads else real()  # type: ignore[method-assign]
    taken = second.rotate(EPOCH + 1, 40 * DAY)  # the same keyring replaced: the same token
    stored = Keyring.parse(
        aws.client("secretsmanager").get_secret_value(SecretId="keys")["SecretString"]
    )
    assert stored == made and taken == made
