"""What people do, once for everyone: one function per fact, for local accounts and remote actors."""
