"""Compendio reproducible sobre las relaciones internacionales de los municipios mexicanos.

The package ``analysis`` holds every piece of logic the notebooks call: data sources and their
verification, validated loaders, the twinning network, models, NLP and qualitative coding, the
SDG classifier, the partner finder, the notebook pipeline and the command line.
"""

__version__ = "0.1.0"
