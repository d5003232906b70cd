"""Tools: the protocol, the registry, built-ins and Google tools."""
