"""Privacy (design rule 7): retention (`flask privacy purge`), a parent's erasure of their
own details, and the admin's subject-access export and erasure."""
