"""Gateway lifecycle: the backbone of `up`, `down`, `status` and `logs` (render → keys → runtime → health)."""
