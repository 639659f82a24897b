"""T2 mapping: EPG signal model (pure functions), mono-exponential and EPG fitting, maps."""
