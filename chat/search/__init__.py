"""Full-text search of messages (PROTOCOL 1.1, Search): one normalization of
words (terms), one index per database vendor (postgresql, sqlite), and the
service that asks the index and decides the answer (service)."""
