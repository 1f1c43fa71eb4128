"""The layers' ops by family: each Function with its hand-derived backward, beside its functional wrapper
(``minigrad.nn.functional`` re-exports them)."""
