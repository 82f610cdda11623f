"""A model's lifecycle status on a given date, computed from the dates in its price entry, never stored.

Anthropic's terms (https://platform.claude.com/docs/en/about-claude/model-deprecations): Active, Legacy,
Deprecated ("Anthropic provides a recommended replacement and assigns a retirement date"), Retired
("Requests to retired models will fail"). Our statuses, for a date `as_of`:

- unreleased: before `released`;
- retired: on or after `retires_on` (the retirement day is the first day requests fail);
- deprecated: on or after `deprecated_on`;
- legacy: a newer model of the same family was released on or before `as_of` (our rule; Anthropic labels
  superseded models "legacy" on their overview pages, the deprecations table calls them Active);
- current: otherwise.

The clock is read only through `today()`, which the edges (and tests) can replace with `set_today`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from ..errors import InvalidInput

STATUSES = ("unreleased", "current", "legacy", "deprecated", "retired")
WARN_DAYS = 60  # retiring within this many days → a warning with the date and the replacement
# The warning is read by people quoting customers: the entry's field names in words.
UNCONFIRMED_WORDS = {"deprecated_on": "deprecation date", "retires_on": "retirement date",
                     "replacement": "replacement"}

_today: Callable[[], date] = date.today


def today() -> date:
    """The date used when a caller gives no `as_of` (the real date unless an edge or a test pinned it)."""
    return _today()


def set_today(fn: Callable[[], date] | None) -> None:
    """Replace the clock (tests pin dates; None restores the real one)."""
    global _today
    _today = fn or date.today


def parse_date(value: object, field: str = "as_of") -> date:
    """'YYYY-MM-DD' → date; anything else is refused naming the field."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or len(value) != 10:
        raise InvalidInput(f"{field} must be a date written YYYY-MM-DD, got {value!r}", field=field,
                           allowed="YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field} must be a real date written YYYY-MM-DD, got {value!r}", field=field,
                           allowed="YYYY-MM-DD") from None


def as_of_or_today(value: object, field: str = "as_of") -> date:
    return today() if value is None else parse_date(value, field)


def _d(s: str | None) -> date | None:
    return None if s is None else date.fromisoformat(s)


@dataclass(frozen=True)
class Lifecycle:
    """Where one model stands on `as_of`."""

    model_id: str
    name: str
    as_of: date
    status: str
    released: date | None
    deprecated_on: date | None
    retires_on: date | None
    retires_not_before: date | None
    replacement: str | None  # model id
    replacement_name: str | None
    successor: str | None  # for legacy: the newer model of the family
    dates_unconfirmed: tuple[str, ...] = ()  # date fields that only third parties report

    @property
    def days_to_retirement(self) -> int | None:
        return None if self.retires_on is None else (self.retires_on - self.as_of).days

    def _replacement(self) -> str:
        if not self.replacement:
            return "Anthropic names no replacement"
        name = f" ({self.replacement_name})" if self.replacement_name else ""
        return f"suggested replacement: {self.replacement}{name}"

    def _caveat(self) -> str:
        if not self.dates_unconfirmed:
            return ""
        words = [UNCONFIRMED_WORDS.get(f, f) for f in self.dates_unconfirmed]
        listed = " and ".join(words) if len(words) < 3 else ", ".join(words[:-1]) + " and " + words[-1]
        return (f" (the {listed} reported by a third party, not confirmed on Anthropic's "
                "pages; see notes)")

    def warning(self) -> str | None:
        """Retired, retiring within WARN_DAYS, or not yet released on `as_of`: a warning; else None."""
        who = f"{self.name} ({self.model_id})"
        if self.status == "unreleased":
            return (f"{who} was not released until {self.released}: on {self.as_of} it could not be used; "
                    "priced at its launch prices")
        if self.status == "retired":
            return (f"{who} is retired on the Claude API since {self.retires_on}: requests to it fail; "
                    f"{self._replacement()}. Priced at its last list price, for reference{self._caveat()}.")
        days = self.days_to_retirement
        if days is not None and 0 < days <= WARN_DAYS:
            when = "tomorrow" if days == 1 else f"in {days} days"
            return f"{who} retires on {self.retires_on} ({when}): {self._replacement()}{self._caveat()}."
        return None

    def note(self) -> str | None:
        """Deprecated but more than WARN_DAYS from retirement, or legacy: a plain statement (not a warning)."""
        if self.status == "deprecated" and self.warning() is None:
            when = f", retires on {self.retires_on}" if self.retires_on else ", retirement date not announced"
            return (f"{self.name} is deprecated since {self.deprecated_on}{when}; {self._replacement()}"
                    f"{self._caveat()}")
        if self.status == "legacy" and self.successor:
            return f"{self.name} is a legacy model: {self.successor} is newer in the same family"
        return None

    def as_json(self) -> dict:
        out = {"status": self.status, "as_of": self.as_of.isoformat()}
        for k in ("released", "deprecated_on", "retires_on", "retires_not_before"):
            v = getattr(self, k)
            out[k] = None if v is None else v.isoformat()
        out["replacement"] = self.replacement
        if self.days_to_retirement is not None and self.days_to_retirement > 0:
            out["days_to_retirement"] = self.days_to_retirement
        if self.dates_unconfirmed:
            out["dates_unconfirmed"] = list(self.dates_unconfirmed)
        return out


def lifecycle(entry, as_of: date, family: Iterable = (), names: dict[str, str] | None = None) -> Lifecycle:
    """`entry`: a PriceEntry; `family`: the other entries of the catalog (the legacy rule looks for a newer
    one of the same family); `names`: model id → display name, for the replacement."""
    released, deprecated, retires = _d(entry.released), _d(entry.deprecated_on), _d(entry.retires_on)
    successor = None
    if released is not None and entry.family:
        newer = [(e.released, e.name) for e in family
                 if e.family == entry.family and e.id != entry.id and e.released
                 and released < _d(e.released) <= as_of]
        successor = max(newer)[1] if newer else None
    if released is not None and as_of < released:
        status = "unreleased"
    elif retires is not None and as_of >= retires:
        status = "retired"
    elif deprecated is not None and as_of >= deprecated:
        status = "deprecated"
    elif successor:
        status = "legacy"
    else:
        status = "current"
    unconfirmed = tuple(f for f in ("deprecated_on", "retires_on", "replacement") if f in entry.unverified
                        and getattr(entry, f))
    return Lifecycle(entry.id, entry.name, as_of, status, released, deprecated, retires,
                     _d(entry.retires_not_before), entry.replacement,
                     (names or {}).get(entry.replacement or ""), successor, unconfirmed)
