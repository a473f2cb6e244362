"""An argument parser that speaks French: usage, help and errors (argparse's own are English)."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from typing import NoReturn

# argparse's error messages (CPython 3.11-3.13), with their French wording.
_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), french)
    for pattern, french in (
        (r"the following arguments are required: (.*)", r"arguments obligatoires manquants : \1"),
        (
            r"argument (\S+): invalid choice: (\S+) \(choose from (.*)\)",
            r"argument \1 : choix invalide \2 (choix possibles : \3)",
        ),
        (r"unrecognized arguments: (.*)", r"arguments inconnus : \1"),
        (r"argument (\S+): expected one argument", r"l'argument \1 attend une valeur"),
        (r"argument (\S+): expected at least one argument", r"l'argument \1 attend une valeur"),
        (r"argument (\S+): invalid (\S+) value: (.*)", r"argument \1 : valeur invalide \3"),
        (r"argument (\S+): ignored explicit argument (.*)", r"argument \1 : valeur en trop \2"),
        (
            r"argument (\S+): not allowed with argument (.*)",
            r"l'argument \1 est incompatible avec \2",
        ),
        (r"ambiguous option: (\S+) could match (.*)", r"option ambiguë \1 (possibles : \2)"),
    )
)


def french_error(message: str) -> str:
    """argparse's English error in French (unchanged when it is not one of its own)."""
    for pattern, french in _ERRORS:
        if pattern.fullmatch(message):
            return pattern.sub(french, message)
    return message


class FrenchHelpFormatter(argparse.HelpFormatter):
    """« utilisation : » instead of "usage: "."""

    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        super().add_usage(usage, actions, groups, "utilisation : " if prefix is None else prefix)


class FrenchArgumentParser(argparse.ArgumentParser):
    """The command's parser and, through `add_subparsers`, its sub-commands' parsers."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", FrenchHelpFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._positionals.title = "arguments"
        self._optionals.title = "options"
        self.add_argument(
            "-h", "--help", action="help", default=argparse.SUPPRESS, help="afficher cette aide"
        )

    def error(self, message: str) -> NoReturn:
        """Usage and the French reason on stderr, exit status 2 (as argparse does)."""
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog} : erreur : {french_error(message)}\n")
