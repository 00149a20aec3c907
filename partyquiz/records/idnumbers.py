"""Chinese resident ID numbers (公民身份号码, GB 11643-1999): shape and check character."""
from __future__ import annotations

import re

from ..i18n import t

ID_NUMBER = re.compile(r"^(\d{17}[\dXx]|\d{15})$")

# GB 11643-1999: the 18th character is a check over the first 17 digits (ISO 7064 MOD 11-2)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_check_character(first17: str) -> str:
    """The check character GB 11643 puts after 17 digits: Σ digit·weight mod 11 → 1 0 X 9 … 2."""
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS)) % 11]


def id_number_problem(value: str) -> str | None:
    """Why an ID number is wrong, or None: 18 characters with a right check character (or an
    old 15-digit number, which has none)."""
    if not ID_NUMBER.match(value):
        return t("records.id_number.malformed")
    if len(value) == 18 and id_check_character(value[:17]) != value[17].upper():
        return t("records.id_number.check", check=id_check_character(value[:17]))
    return None
