"""Channels: how one message reaches email, Slack, Teams, a webhook or a folder.

Each sender takes a :class:`~onpace.notify.message.Message` and a channel's definition and either
returns (the channel accepted the message) or raises :class:`~onpace.notify.message.SendError`.
They keep no state and never read the store: the outbox, retries and leases are the delivery
service's (:mod:`onpace.services.delivery`). Secrets come from the environment mapping they are
given (the project's), never from the definitions. :func:`onpace.notify.send.send` picks the sender.
"""
