"""Teams: a tree (parent/sub-teams) with a manager; team scope reaches the whole subtree."""
