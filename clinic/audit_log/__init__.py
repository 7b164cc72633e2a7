"""The coordinators' audit log page: who did what to which record, and when (read-only;
``clinic.audit.record`` is the one writer)."""
