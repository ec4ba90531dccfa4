"""Grammatical gender of the noun a number counts ("una persona", "veintiún días")."""

from __future__ import annotations

import re

# Words that follow a number without being the thing counted ("1 de cada 3",
# "de 1 a 3"): the number keeps its full form, "uno".
_NOT_NOUNS = frozenset(
    "y e o u ó ni a al de del en con sin por para que es son fue era será está están entre "
    "hasta desde sobre según más menos x como si no se lo la las los el le les mi tu su sus "
    "cada vs punto coma guion".split()
)
_FEMININE_NOUNS = frozenset(
    "mujer mujeres vez veces noche noches tarde tardes clase clases calle calles parte partes "
    "dosis crisis red redes ley leyes mano manos foto fotos moto motos imagen imágenes madre "
    "madres base bases fuente fuentes clave claves serie series especie especies muerte muertes "
    "llave llaves frase frases sede sedes piel cárcel cárceles flor flores sal leche fiebre "
    "suerte nube nubes torre torres gente".split()
)
# Masculine nouns that end in -a.
_MASCULINE_IN_A = frozenset(
    "día días mapa mapas problema problemas programa programas sistema sistemas tema temas "
    "síntoma síntomas idioma idiomas clima climas planeta planetas poema poemas dilema dilemas "
    "esquema esquemas diagrama diagramas trauma traumas drama dramas fantasma fantasmas "
    "sofá sofás papá papás cometa cometas diploma diplomas telegrama telegramas".split()
)
_FEMININE_ENDING = re.compile(
    r"(?:ción|sión|ciones|siones|dad|dades|tad|tades|tud|tudes|umbre|umbres)$"
)
_NEXT_WORD = re.compile(r"\s*([^\W\d_]+)")


def _next_word(match: re.Match[str]) -> str | None:
    following = _NEXT_WORD.match(match.string, match.end())
    return following.group(1) if following else None


def _agreement(word: str | None) -> str | None:
    """Gender of the noun a number counts, or None when no noun follows.

    A cheap guess: known nouns, then endings (-ción, -dad: feminine; -a:
    feminine unless listed; -ista and the rest: masculine, the generic form).
    """
    if not word:
        return None
    word = word.lower()
    if word in _NOT_NOUNS:
        return None
    if word in _FEMININE_NOUNS or _FEMININE_ENDING.search(word):
        return "f"
    if word in _MASCULINE_IN_A or word.endswith(("ista", "istas")):
        return "m"
    return "f" if word.endswith(("a", "as")) else "m"
