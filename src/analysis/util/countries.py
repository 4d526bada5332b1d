"""Country names as written by English Wikipedia -> ISO 3166-1 alpha-3 codes."""

from __future__ import annotations

from functools import cache

import pycountry

#: Names pycountry does not resolve on its own. Constituent countries of the United Kingdom map to
#: GBR; Kosovo uses the user-assigned code XKX, as the European Commission and the IMF do.
OVERRIDES: dict[str, str] = {
    "Russia": "RUS",
    "Palestine": "PSE",
    "State of Palestine": "PSE",
    "Kosovo": "XKX",
    "England": "GBR",
    "Scotland": "GBR",
    "Wales": "GBR",
    "Northern Ireland": "GBR",
    "United Kingdom": "GBR",
    "Turkey": "TUR",
    "Republic of Ireland": "IRL",
    "Ireland": "IRL",
    "Czech Republic": "CZE",
    "Ivory Coast": "CIV",
    "Cape Verde": "CPV",
    "East Timor": "TLS",
    "Macau": "MAC",
    "Vatican City": "VAT",
    "Federated States of Micronesia": "FSM",
    "Democratic Republic of the Congo": "COD",
    "Republic of the Congo": "COG",
    "The Gambia": "GMB",
    "The Bahamas": "BHS",
    "North Macedonia": "MKD",
    "Brunei": "BRN",
    "Mexico": "MEX",
}


class UnknownCountryError(LookupError, ValueError):
    """A country name or code that cannot be resolved: not in the overrides or pycountry, or absent from a table."""


@cache
def to_iso3(name: str) -> str:
    """Return the ISO 3166-1 alpha-3 code for a country name; raise UnknownCountryError otherwise."""
    clean = name.strip()
    if clean in OVERRIDES:
        return OVERRIDES[clean]
    try:
        return pycountry.countries.lookup(clean).alpha_3
    except LookupError:
        raise UnknownCountryError(
            f"Country {name!r} has no ISO 3166-1 code in pycountry; add it to OVERRIDES in analysis/util/countries.py."
        ) from None


def iso3_name_es(iso3: str) -> str:
    """Spanish short name of a country from the ISO 3166 translations shipped with pycountry."""
    import gettext

    if iso3 == "XKX":
        return "Kosovo"
    country = pycountry.countries.get(alpha_3=iso3)
    if country is None:
        return iso3
    tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["es"], fallback=True)
    return tr.gettext(getattr(country, "common_name", None) or country.name)
