"""Customer health: a transparent points-based score per golden customer, its history and the at-risk alert."""
