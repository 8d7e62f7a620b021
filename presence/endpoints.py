"""JSON endpoints of presence (PROTOCOL.md): STUB, replaced by the presence work."""

from ninja import Router

router = Router(tags=["presence"])
