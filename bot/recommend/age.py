"""Age ratings as a number of years: a catalog gives a number or a label from a rating system (ESRB, PEGI,
USK, BBFC, MPA film and US TV ratings), and a channel sets the highest age it allows."""

from __future__ import annotations

import math
import re

# Label -> the youngest age it is meant for. Keys are upper case, without spaces.
LABELS: dict[str, int] = {
    # ESRB (games)
    "EC": 3, "E": 6, "E10+": 10, "T": 13, "M": 17, "AO": 18, "RP": 0,
    # PEGI (games)
    "PEGI3": 3, "PEGI7": 7, "PEGI12": 12, "PEGI16": 16, "PEGI18": 18,
    # USK (games, Germany)
    "USK0": 0, "USK6": 6, "USK12": 12, "USK16": 16, "USK18": 18,
    # MPA (films)
    "G": 0, "PG": 8, "PG-13": 13, "R": 17, "NC-17": 18, "NR": 0, "UNRATED": 0,
    # BBFC (films, UK)
    "U": 0, "12A": 12, "15": 15, "18": 18, "R18": 18,
    # US TV
    "TV-Y": 0, "TV-Y7": 7, "TV-G": 0, "TV-PG": 8, "TV-14": 14, "TV-MA": 17,
    # Generic
    "ALL": 0, "EVERYONE": 0, "ADULT": 18, "ADULTS": 18, "MATURE": 17,
}
_YEARS = re.compile(r"^(\d{1,2})\s*\+?$")


class AgeRatingError(ValueError):
    """A rating that is neither a number of years nor a known label; the message lists what is accepted."""


def age_in_years(value: object) -> int | None:
    """None for no rating (suits everyone); raises AgeRatingError for what can't be read."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise AgeRatingError(f"{value!r} is not an age rating")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise AgeRatingError(f"{value!r} is not a number of years from 0 to 21")
        years = int(value)
        if years != value or not 0 <= years <= 21:
            raise AgeRatingError(f"{value!r} is not a number of years from 0 to 21")
        return years
    text = str(value).strip()
    if not text:
        return None
    plain = _YEARS.match(text)
    if plain is not None:
        years = int(plain.group(1))
        if years > 21:
            raise AgeRatingError(f"{text!r} is not a number of years from 0 to 21")
        return years
    key = text.upper().replace(" ", "")
    if key in LABELS:
        return LABELS[key]
    raise AgeRatingError(f"{text!r} is not a known age rating: give years (13, 16+) or a label such as "
                         "E10+, T, M (ESRB), PEGI 12, USK 16, PG-13, R, 12A, TV-MA")
