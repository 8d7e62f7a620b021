"""The wire contract (docs/PROTOCOL.md) in code: server frames, channel-layer
events and the limits every layer shares. Imports no app and no Django model,
so every package may use it (README, Architecture)."""
