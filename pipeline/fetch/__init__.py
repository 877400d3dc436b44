"""The edges where items come in: directory replay and feed fetching."""
