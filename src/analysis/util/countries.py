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


def country_name_es(name: str) -> str:
    """A country's name as a source wrote it, in Spanish: "Germany" → "Alemania", "USA" → "Estados Unidos".

    Resolved through :func:`to_iso3` and the ISO 3166 translations of :func:`iso3_name_es`; a name
    that does not resolve (already Spanish, or not a country) is returned unchanged.
    """
    text = str(name).strip()
    try:
        iso3 = to_iso3(text)
    except UnknownCountryError:
        return str(name)
    return SHORT_NAMES_ES.get(iso3) or iso3_name_es(iso3)


#: Short Spanish names where the ISO 3166 translation is the long official form.
SHORT_NAMES_ES: dict[str, str] = {
    "USA": "Estados Unidos",
    "GBR": "Reino Unido",
    "RUS": "Rusia",
    "KOR": "Corea del Sur",
    "PRK": "Corea del Norte",
    "BOL": "Bolivia",
    "VEN": "Venezuela",
    "IRN": "Irán",
    "SYR": "Siria",
    "TZA": "Tanzania",
    "MDA": "Moldavia",
    "TWN": "Taiwán",
    "VNM": "Vietnam",
    "LAO": "Laos",
    "PSE": "Palestina",
    "CZE": "Chequia",
    "NLD": "Países Bajos",
}

#: Cities whose name as the English sources write it differs from the established Spanish name
#: (exonyms in common use in Mexican Spanish). Reviewed by hand; a name not listed is shown as written.
CITY_NAMES_ES: dict[str, str] = {
    "Mexico City": "Ciudad de México",
    "Seville": "Sevilla",
    "Miami-Dade County": "Condado de Miami-Dade",
    "Havana": "La Habana",
    "Old Havana": "La Habana Vieja",
    "Havana – Old Havana": "La Habana – La Habana Vieja",
    "Old Havana (Havana)": "La Habana Vieja (La Habana)",
    "Havana – Cerro": "La Habana – Cerro",
    "Cerro (Havana)": "Cerro (La Habana)",
    "Beijing": "Pekín",
    "Berlin": "Berlín",
    "Istanbul": "Estambul",
    "Kyiv": "Kiev",
    "Kuwait City": "Ciudad de Kuwait",
    "Los Angeles": "Los Ángeles",
    "Seoul": "Seúl",
    "Samarkand": "Samarcanda",
    "Cusco": "Cuzco",
    "Cadiz": "Cádiz",
    "Saragossa": "Zaragoza",
    "Corunna": "La Coruña",
    "Moscow": "Moscú",
    "Saint Petersburg": "San Petersburgo",
    "Rome": "Roma",
    "Florence": "Florencia",
    "Venice": "Venecia",
    "Naples": "Nápoles",
    "Milan": "Milán",
    "Turin": "Turín",
    "Genoa": "Génova",
    "Lisbon": "Lisboa",
    "Paris": "París",
    "London": "Londres",
    "Edinburgh": "Edimburgo",
    "Munich": "Múnich",
    "Cologne": "Colonia",
    "Hamburg": "Hamburgo",
    "Vienna": "Viena",
    "Prague": "Praga",
    "Warsaw": "Varsovia",
    "Athens": "Atenas",
    "Brussels": "Bruselas",
    "Geneva": "Ginebra",
    "Stockholm": "Estocolmo",
    "Copenhagen": "Copenhague",
    "Tokyo": "Tokio",
    "Shanghai": "Shanghái",
    "Philadelphia": "Filadelfia",
    "New York City": "Nueva York",
    "New Orleans": "Nueva Orleans",
    "Jerusalem": "Jerusalén",
    "Cairo": "El Cairo",
    "Guatemala City": "Ciudad de Guatemala",
    "Panama City": "Ciudad de Panamá",
}


def city_name_es(name: str) -> str:
    """A city's established Spanish name (:data:`CITY_NAMES_ES`), or the name as written."""
    return CITY_NAMES_ES.get(str(name).strip(), str(name))
