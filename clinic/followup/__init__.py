"""After a clinic: the follow-up email, guidance links coordinators edit, the parent's feedback."""
