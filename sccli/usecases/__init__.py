"""The use cases: sccli as a Python library, with the CLI one thin layer over it.

Every function takes a :class:`~sccli.usecases.context.Workspace` (the store, the
configuration, the clock and the instant asked about, the vault) and explicit values, and
returns values; none prints. Writes happen in one store transaction each.

Where a new use case goes: a change to tickets → ``tickets`` (the one write path
``record``, registration, a ticket's secrets), ``ticket_steps`` (lifecycle steps: respond,
ask, reject, confirm, note…), ``ticket_fields`` (priority, source, estimate) or
``corrections`` (void, edit); clients and their authorized contacts → ``clients``;
anything that reads and shows (lists, triage, queues, SLA status, check, explain, report,
billing) → ``views``. Escalation and sync live in ``sccli.sync`` (``sync.apply.run_sync``,
``sync.apply.escalate``).

Example::

    from sccli.app import App
    from sccli.usecases import ticket_steps, tickets, views

    ws = App(home="~/support")
    ticket = tickets.add_ticket(ws, "ACME", "it@acme.ru", "Ошибка", "…", "critical", "portal", False)
    ticket_steps.transition(ws, ticket.id, EventKind.RESPONDED, "Смотрим")
    rows = views.triage(ws)
"""
