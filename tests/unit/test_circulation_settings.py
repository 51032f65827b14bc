"""Circulation's settings: checked at start, with a message that names the variable."""

from __future__ import annotations

import pytest

from entrypoints.container import build_container
from entrypoints.settings import SettingsError, load_settings

KEY = "k" * 40


def test_a_telegram_token_needs_a_chat_id() -> None:
    with pytest.raises(SettingsError, match="ATHENAEUM_TELEGRAM_CHAT_ID"):
        load_settings({"ATHENAEUM_TELEGRAM_BOT_TOKEN": "1:abc"}, env_file=None, secret_key=KEY)


@pytest.mark.parametrize("price", ["-1", "100000000"])
def test_the_premium_price_is_a_chargeable_amount(price: str) -> None:
    with pytest.raises(SettingsError, match="ATHENAEUM_PREMIUM_PRICE_CENTS"):
        load_settings({"ATHENAEUM_PREMIUM_PRICE_CENTS": price}, env_file=None, secret_key=KEY)


def test_without_a_stripe_key_payments_use_the_sandbox_and_with_one_stripe(tmp_path) -> None:
    plain = build_container(load_settings({}, env_file=None, secret_key=KEY, var_dir=str(tmp_path)))
    assert type(plain.gateways.payments()).__name__ == "SandboxPaymentGateway"
    assert plain.gateways.checkout_simulator() is plain.gateways.payments()
    assert type(plain.gateways.notifier()).__name__ == "LoggingNotifier"
    configured = build_container(
        load_settings(
            {
                "ATHENAEUM_STRIPE_SECRET_KEY": "sk_test_x",
                "ATHENAEUM_TELEGRAM_BOT_TOKEN": "1:abc",
                "ATHENAEUM_TELEGRAM_CHAT_ID": "-1",
            },
            env_file=None,
            secret_key=KEY,
            var_dir=str(tmp_path),
        )
    )
    assert type(configured.gateways.payments()).__name__ == "StripePaymentGateway"
    assert configured.gateways.checkout_simulator() is None
    assert type(configured.gateways.notifier()).__name__ == "TelegramNotifier"
