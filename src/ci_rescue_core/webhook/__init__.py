"""The webhook receiver: verify, store, acknowledge; a worker runs the pipeline."""

from ci_rescue_core.webhook.app import WebhookApp
from ci_rescue_core.webhook.inbox import Inbox, InboxItem
from ci_rescue_core.webhook.server import WebhookServer
from ci_rescue_core.webhook.worker import Worker

__all__ = ["Inbox", "InboxItem", "WebhookApp", "WebhookServer", "Worker"]
