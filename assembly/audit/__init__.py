"""The auditor's side that knows the services: the ``dudao audit`` commands (``cli``) and a
small campaign log built from the services' own events (``sample``). The replay machinery
they use is the library's, in ``shared.audit``."""
