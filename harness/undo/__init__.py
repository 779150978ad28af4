"""Undo as data: what a run changed on a tier, recorded in the tier itself before each
change (an SSM parameter, plus tags on what it created), and replayed by ``harness cleanup``
and by the finalisers of the drill's scenarios."""
