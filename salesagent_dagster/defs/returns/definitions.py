"""The returns folder's definitions: the mailbox sensor, the `engagement` asset and the
`handle_reply` job that materializes it once per reply."""

from dagster import Definitions

from salesagent_dagster.defs.returns.engagement_asset import engagement, handle_reply_job
from salesagent_dagster.defs.returns.mailbox_sensor import mailbox_replies


def defs() -> Definitions:
    return Definitions(assets=[engagement], jobs=[handle_reply_job], sensors=[mailbox_replies])
