"""sla.yaml: the contract's terms as typed settings, its schema, and the service packages.

sla.yaml holds the contract's terms (the business calendar, reaction targets, feedback and
acceptance days, tick's notices, priority and routing rules) and the service packages that
override some of them per client; ``parse_sla`` turns its text into ``SlaSettings``. It is
a module of its own because it is a different file with its own concept (the contract's
clocks, per package) from ``sccli.yaml``'s executor, clients, parties and trackers
(``sccli.config``, which also reads both files from the workspace and imports this one;
this one imports nothing from it). Errors read like every config error:
``file:line: key.path: problem (expected …)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time
from functools import cached_property
from typing import Any

import yaml

from . import schema as s
from .errors import ConfigurationError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Where the top of a file is not a mapping (an empty file, only comments, a list): a fresh
# one is a command away. `init --force` rewrites both files, so the hint says so (the
# sccli.yaml parser in sccli.config uses it too).
FRESH_HINT = (
    "run `sccli init --force` to write a fresh one (it rewrites both sccli.yaml and sla.yaml)"
)

ROUTE_OWNERS = ("executor", "vendor", "partner", "client", "responsible-party")
ROUTE_ACTIONS = ("fix", "change", "escalate", "consult-or-fix", "consult")
BILLING_CLASSES = ("included", "billable", "billable-if-fixed")


@dataclass(frozen=True)
class SlaSettings:
    timezone: str
    weekly: dict[int, tuple[tuple[time, time], ...]]
    country: str | None
    extra_holidays: frozenset[date]
    extra_workdays: frozenset[date]
    shortened: dict[date, tuple[tuple[time, time], ...]]
    reaction_targets: dict[str, int]
    default_priority: str
    warn_at: float
    feedback_business_days: int
    acceptance_days: int
    priority_rules: list[dict[str, Any]] = field(default_factory=list)
    # reaction.priority_change: how a priority change moves a running reaction deadline
    priority_change: str = "from-change"
    routing: dict[str, Any] = field(default_factory=dict)  # source → domain RouteRule
    # Service packages (sla.yaml ``packages:``): each name's settings, the top level's
    # values with the package's own over them. See ``package``.
    packages: dict[str, SlaSettings] = field(default_factory=dict)
    # `sccli tick`'s notices (sla.yaml ``notices:``)
    notices_outside_hours_for_critical: bool = False
    escalation_follow_up_days: int = 2
    confirmed_years: frozenset[int] = frozenset()  # calendar.confirmed_years
    pre_holiday_shortening: bool = False  # calendar.pre_holiday_shortening (art. 95)
    # Called with each provisional year a calendar uses (the App warns once per run).
    on_provisional: Callable[[int], None] | None = field(default=None, compare=False, repr=False)

    @cached_property
    def calendar(self):
        from .domain.calendar import BusinessCalendar
        from .domain.calendar_days import CalendarSpec

        return BusinessCalendar(
            CalendarSpec(
                timezone=self.timezone,
                weekly=self.weekly,
                country=self.country,
                extra_holidays=self.extra_holidays,
                extra_workdays=self.extra_workdays,
                shortened=self.shortened,
                confirmed_years=self.confirmed_years,
                pre_holiday_shortening=self.pre_holiday_shortening,
            ),
            on_provisional=self.on_provisional,
        )

    @cached_property
    def policy(self):
        from .domain.clocks import PriorityChangeRule, SlaPolicy
        from .domain.model import Priority

        return SlaPolicy(
            reaction_targets={Priority(k): v for k, v in self.reaction_targets.items()},
            default_priority=Priority(self.default_priority),
            warn_at=self.warn_at,
            feedback_business_days=self.feedback_business_days,
            acceptance_days=self.acceptance_days,
            priority_change=PriorityChangeRule(self.priority_change),
        )

    @cached_property
    def _package_cache(self) -> dict[str, Package]:
        out = {DEFAULT_PACKAGE: Package(DEFAULT_PACKAGE, self)}
        out.update((name, Package(name, settings)) for name, settings in self.packages.items())
        return out

    @property
    def package_names(self) -> list[str]:
        return list(self._package_cache)

    def package(self, name: str | None) -> Package:
        """The service package ``name`` (None: the default one, the contract's values).

        One object per name for the life of these settings, so its calendar is built once
        however many tickets use it. An unknown name is a ConfigurationError (exit 2).
        """
        found = self._package_cache.get(name or DEFAULT_PACKAGE)
        if found is None:
            raise UnknownPackage(
                f"unknown service package {s.show(name)} (known: {', '.join(self._package_cache)};"
                " packages are defined under packages: in sla.yaml)"
            )
        return found

    @cached_property
    def rules(self):
        from .domain.priority_rules import compile_rules

        return compile_rules(self.priority_rules)


DEFAULT_PACKAGE = "default"


class UnknownPackage(ConfigurationError):
    """A package name sla.yaml does not define (exit 2)."""


@dataclass(frozen=True)
class Package:
    """A service package: the contract's terms are "the package of services specified in
    the Specification" ("обусловленным в Спецификации пакетом Услуг"). ``default`` holds
    sla.yaml's top-level values (the contract's); others override some of them."""

    name: str
    settings: SlaSettings

    @property
    def calendar(self):
        return self.settings.calendar

    @property
    def policy(self):
        return self.settings.policy

    @property
    def timezone(self) -> str:
        return self.settings.timezone


class _Zone(s.Str):
    def __init__(self):
        super().__init__(expected="an IANA time zone such as Europe/Moscow")

    def convert(self, node, path, ctx):
        value = super().convert(node, path, ctx)
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ctx.fail(node, path, f"unknown time zone {s.show(value)} ({self.expected})") from None
        return value


class _Country(s.Str):
    def __init__(self):
        super().__init__(expected="a country code known to the holidays package, e.g. RU")

    def convert(self, node, path, ctx):
        value = super().convert(node, path, ctx)
        import holidays

        if value.upper() not in holidays.list_supported_countries():
            raise ctx.fail(node, path, f"unknown country {s.show(value)} ({self.expected})")
        return value.upper()


_PRIORITIES = ("critical", "high", "medium", "low")
_HOURS = s.ListOf(s.TimeRange())

SLA_SCHEMA = s.Struct(
    {
        "calendar": s.Field(
            s.Struct(
                {
                    "timezone": s.Field(_Zone(), default="Europe/Moscow"),
                    "hours": s.Field(
                        s.Struct({day: s.Field(_HOURS, default=list) for day in WEEKDAYS}),
                        required=True,
                    ),
                    "country": s.Field(_Country()),
                    "extra_holidays": s.Field(s.ListOf(s.Date()), default=list),
                    "extra_workdays": s.Field(s.ListOf(s.Date()), default=list),
                    "shortened": s.Field(s.MapOf(_HOURS, key=s.Date()), default=dict),
                    # years (2000–2100, the calendar's range) checked by hand: no warning
                    "confirmed_years": s.Field(s.ListOf(s.Int(2000, 2100)), default=list),
                    "pre_holiday_shortening": s.Field(s.Bool(), default=False),
                }
            ),
            required=True,
        ),
        "reaction": s.Field(
            s.Struct(
                {
                    "targets": s.Field(
                        s.Struct({p: s.Field(s.Duration(), required=True) for p in _PRIORITIES}),
                        required=True,
                    ),
                    "default_priority": s.Field(s.Str(choices=_PRIORITIES), default="medium"),
                    "warn_at": s.Field(s.Float(0.0, 1.0), default=0.8),
                    "priority_change": s.Field(
                        s.Str(choices=("from-change", "from-registration")),
                        default="from-change",
                    ),
                }
            ),
            required=True,
        ),
        "feedback": s.Field(
            s.Struct({"business_days": s.Field(s.Int(minimum=1), default=2)}), default=dict
        ),
        "acceptance": s.Field(
            s.Struct({"calendar_days": s.Field(s.Int(minimum=1), default=7)}), default=dict
        ),
        "notices": s.Field(
            s.Struct(
                {
                    "outside_hours_for_critical": s.Field(s.Bool(), default=False),
                    "escalation_follow_up_days": s.Field(s.Int(minimum=1), default=2),
                }
            ),
            default=dict,
        ),
        "priority_rules": s.Field(
            s.ListOf(
                s.Struct(
                    {
                        "name": s.Field(s.Str(), required=True),
                        "priority": s.Field(s.Str(choices=_PRIORITIES), required=True),
                        "explain": s.Field(s.Str(), required=True),
                        "explain_ru": s.Field(s.Str(), required=True),
                        "keywords": s.Field(s.ListOf(s.Str()), default=list),
                        "patterns": s.Field(s.ListOf(s.Str()), default=list),
                        "all_of": s.Field(s.ListOf(s.Str()), default=list),
                    }
                )
            ),
            default=list,
        ),
        "routing": s.Field(
            s.MapOf(
                s.Struct(
                    {
                        "owner": s.Field(s.Str(choices=ROUTE_OWNERS), required=True),
                        "action": s.Field(s.Str(choices=ROUTE_ACTIONS), required=True),
                        "billing": s.Field(s.Str(choices=BILLING_CLASSES), required=True),
                        "explain": s.Field(s.Str(), required=True),
                    },
                    build=lambda v: _route_rule(**v),
                )
            ),
            default=dict,
        ),
    }
)


# Service packages: each name overrides any of the calendar, the reaction targets and warn_at,
# the feedback and the acceptance days; whatever it leaves out is the top level's (the
# contract's values, the package named "default"). The keys are the top level's own, so a
# package accepts every calendar key sla.yaml knows; the default priority stays one per
# workspace. Within calendar.hours each day left out keeps the top level's hours.
_INHERIT: Any = type("_Inherit", (), {"__repr__": lambda self: "<inherit>"})()
_PACKAGE_SECTIONS = ("calendar", "reaction", "feedback", "acceptance")
_PACKAGE_FIXED = {"reaction": ("default_priority",)}


def _nested(schema: s.Schema) -> bool:
    """A section whose keys a package may give one by one (a Struct without a builder)."""
    return isinstance(schema, s.Struct) and schema.build is None


class _Nullable(s.Schema):
    """A value the top level may leave out (None there): a package clears it with ``null``
    (e.g. ``country: null``: no public holidays, for round-the-clock service)."""

    def __init__(self, inner: s.Schema):
        self.inner, self.expected = inner, inner.expected

    def convert(self, node, path, ctx):
        if isinstance(node, yaml.ScalarNode) and s.scalar_value(node) is None:
            return None
        return self.inner.convert(node, path, ctx)


def _optional(schema: s.Schema, skip: tuple[str, ...] = ()) -> s.Schema:
    """``schema`` with every key optional at every level, an omitted one read as _INHERIT."""
    if not _nested(schema):
        return schema
    assert isinstance(schema, s.Struct)
    return s.Struct({
        key: s.Field(_Nullable(f.schema) if not f.required and f.default is None
                     and not _nested(f.schema) else _optional(f.schema), default=_INHERIT)
        for key, f in schema.fields.items() if key not in skip})


def _overlay(schema: s.Schema, base: Any, over: Any) -> Any:
    """The top-level values ``base`` with a package's given values ``over`` on top."""
    if over is _INHERIT:
        return base
    if _nested(schema) and isinstance(over, dict) and isinstance(base, dict):
        assert isinstance(schema, s.Struct)
        return {**base, **{key: _overlay(schema.fields[key].schema, base.get(key), value)
                           for key, value in over.items()}}
    return over


_PACKAGE_BASE = s.Struct({name: SLA_SCHEMA.fields[name] for name in _PACKAGE_SECTIONS})
SLA_SCHEMA.fields["packages"] = s.Field(s.MapOf(s.Struct({
    name: s.Field(_optional(SLA_SCHEMA.fields[name].schema, _PACKAGE_FIXED.get(name, ())),
                  default=_INHERIT)
    for name in _PACKAGE_SECTIONS})), default=dict)


def _route_rule(**values: str):
    from .domain.routing import RouteRule

    return RouteRule(**values)


def parse_sla(
    text: str, where: str, on_provisional: Callable[[int], None] | None = None
) -> SlaSettings:
    raw = s.load(text, SLA_SCHEMA, where, hint=FRESH_HINT)
    settings = _build_sla(raw, where, "", on_provisional)
    for name, over in raw["packages"].items():
        if name == DEFAULT_PACKAGE:
            raise s.ConfigError(where, None, f"packages.{name}", "the default package is the"
                                " top level's values; change those, or name this package otherwise")
        merged = _overlay(_PACKAGE_BASE, raw, over)
        settings.packages[name] = _build_sla(merged, where, f"packages.{name}.", on_provisional)
    return settings


def _build_sla(raw: dict[str, Any], where: str, prefix: str,
               on_provisional: Callable[[int], None] | None = None) -> SlaSettings:
    """Settings from validated values: the top level's (``prefix`` "") or a package's
    (``prefix`` "packages.NAME."), whose problems are reported under that path."""
    cal = raw["calendar"]
    weekly = {i: tuple(cal["hours"][day]) for i, day in enumerate(WEEKDAYS)}
    if not any(weekly.values()):
        raise s.ConfigError(where, None, f"{prefix}calendar.hours", "no business hours on any day")
    from .domain.model import Source

    for key in raw["routing"]:
        if key not in {src.value for src in Source}:
            raise s.ConfigError(
                where,
                None,
                f"routing.{key}",
                f"unknown problem source (expected one of: {', '.join(x.value for x in Source)})",
            )
    settings = SlaSettings(
        timezone=cal["timezone"],
        weekly=weekly,
        country=cal["country"],
        extra_holidays=frozenset(cal["extra_holidays"]),
        extra_workdays=frozenset(cal["extra_workdays"]),
        shortened={d: tuple(v) for d, v in cal["shortened"].items()},
        reaction_targets=raw["reaction"]["targets"],
        default_priority=raw["reaction"]["default_priority"],
        warn_at=raw["reaction"]["warn_at"],
        priority_change=raw["reaction"]["priority_change"],
        feedback_business_days=raw["feedback"]["business_days"],
        acceptance_days=raw["acceptance"]["calendar_days"],
        notices_outside_hours_for_critical=raw["notices"]["outside_hours_for_critical"],
        escalation_follow_up_days=raw["notices"]["escalation_follow_up_days"],
        priority_rules=raw["priority_rules"],
        routing=raw["routing"],
        confirmed_years=frozenset(cal["confirmed_years"]),
        pre_holiday_shortening=cal["pre_holiday_shortening"],
        on_provisional=on_provisional,
    )
    if settings.priority_rules and not prefix:  # a package shares the top level's rules
        from .domain.model import DomainError

        try:
            settings.rules  # noqa: B018 - compile now so a bad regex is a config error
        except DomainError as exc:
            raise s.ConfigError(where, None, "", str(exc)) from None
    return settings
