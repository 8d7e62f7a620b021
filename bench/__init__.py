"""Load benchmark of the chat (README, `make bench`): a load generator that
speaks PROTOCOL.md, a ceiling server, scenarios, and a report in RESULTS.md."""
