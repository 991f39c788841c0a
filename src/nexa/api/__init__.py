"""HTTP plumbing shared by every domain's endpoints: sessions, the actor, problems, lists."""
