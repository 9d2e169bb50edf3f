import pytest

from customer_hub.alerts.links import Links, UiAddress
from customer_hub.config import AlertsConfig
from customer_hub.store import engine_for
from customer_hub_tests.alerts.slack_recorder import SlackRecorder

CHANNEL = "#customer-hub-alerts"
UI_URL = "http://dagster.test:3000"
UI = Links(UiAddress(UI_URL, "test"))
TOKEN = "xoxb-test-token-0001"


@pytest.fixture
def engine(tmp_path):
    return engine_for(f"sqlite:///{tmp_path}/hub.db")


@pytest.fixture
def alerts_config():
    return AlertsConfig(slack_channel=CHANNEL, public_ui_url=UI_URL)


@pytest.fixture
def recorder():
    with SlackRecorder(channels=(CHANNEL,), bad_tokens=("xoxb-revoked-9999",)) as server:
        yield server
