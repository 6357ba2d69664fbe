"""Socket.IO namespaces, one module each: `/console` (operators) and `/wall` (screens)."""
