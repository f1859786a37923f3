"""The use cases: what the CLI, the jobs and the web do, each one function over a unit of work
(``selaras.store.uow``) that commits once (once per part of a national batch)."""
