"""The vectorised phone reader must agree with libphonenumber's own parse + is_valid_number + E.164 format, but for
one reading of its own: a number its region cannot read that starts with '00' is read as international."""

import random

import pandas as pd
import phonenumbers

from customer_hub.resolution.phones import normalize_phones


def _reference(raw: str, region: str) -> str:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        return _reference("+" + raw[2:], region) if raw.startswith("00") else ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def test_agrees_with_libphonenumber_on_mixed_formats_and_regions():
    rng = random.Random(11)
    raws, regions = [], []
    for _ in range(1500):
        digits = str(rng.randint(10**6, 10**11))
        raws.append(
            rng.choice(
                [
                    digits,
                    "0" + digits,
                    "+" + digits,
                    "00" + digits,
                    "1" + digits,
                    "+1" + digits[:10],
                    f"({digits[:3]}) {digits[3:6]}-{digits[6:]}",
                    "+44 (0)" + digits[:10],
                ]
            )
        )
        regions.append(rng.choice(["US", "GB", "DE", "FR", "CA", "AU", "NL", "IT", "ES", "IE"]))
    expected = [_reference(raw, region) for raw, region in zip(raws, regions, strict=True)]
    assert sum(1 for value in expected if value) > 200, "the sample must contain valid numbers"
    assert normalize_phones(pd.Series(raws), pd.Series(regions)).tolist() == expected
