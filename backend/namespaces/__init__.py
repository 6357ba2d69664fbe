"""Socket.IO namespaces, one module each: `/console` (operators), `/wall` (screens), `/field` (grid workers
and departments on their phones)."""
