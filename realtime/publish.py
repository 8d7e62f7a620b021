"""Channel-layer events of one change, published in one Redis round trip.

channels_redis's pub/sub layer sends each group_send on its own: a lock, a
connection taken from its pool, a PUBLISH and a wait for its reply. A stored
message is three or more independent events (its room, its activity, the
sender's `read`, mentions), so here they go out as PUBLISH commands in the
loop's batch (realtime.batch): one pipeline, shared with whatever else the
process sends Redis meanwhile (the next message's rate-limit check).

What goes on the wire is what the layer itself would publish: its own group
channel name and its own serializer (msgpack), to the same server (REDIS_URL
or the Sentinels' master, as realtime.redis_clients), so the layer's
subscribers (the relays) receive them as any group_send. A layer of more
than one shard hashes groups to servers: there, each event takes the
layer's own group_send.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from channels.layers import get_channel_layer

from realtime import batch


def _pubsub_layer():
    """The running loop's channels_redis pub/sub layer, when the layer is
    one with a single shard (else None: group_send it is)."""
    get_layer = getattr(get_channel_layer(), "_get_layer", None)
    layer = get_layer() if get_layer is not None else None
    if layer is None or len(getattr(layer, "_shards", ())) != 1:
        return None
    return layer


async def group_send_many(
    sends: Sequence[tuple[str, dict]],
) -> list[BaseException | None]:
    """group_send(group, event) for each pair, all in one pipeline, in this
    order; for each, None once Redis took it or the error it met (the caller
    decides which failure matters)."""
    layer = _pubsub_layer()
    if layer is None:
        proxy = get_channel_layer()
        sent = [proxy.group_send(group, event) for group, event in sends]
        results = await asyncio.gather(*sent, return_exceptions=True)
    else:
        # As the layer's group_send: its channel name, its serializer.
        name, pack = layer._get_group_channel_name, layer.channel_layer.serialize
        # Futures, not coroutines: gather wraps no task around them.
        calls = [batch.command("PUBLISH", name(g), pack(e)) for g, e in sends]
        results = await asyncio.gather(*calls, return_exceptions=True)
    return [r if isinstance(r, BaseException) else None for r in results]
