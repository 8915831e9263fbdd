"""Big-O expressions as canonical classes over the variables ``n, m, k, V, E, h``.

A statement's own variable names never reach an atom. Each distinct size quantity in the
expression (``nums1.length``, ``rowIndex``, ``sum of words[i].length``, ``rows``) is renamed
in order of appearance to ``n``, then ``m``; ``k`` stays ``k``, vertices and edges become
``V`` and ``E``, a tree's height becomes ``h``. The result is re-printed in one form
(``n log n``, ``n m``, ``log(n m)``, ``n^2``). An expression that does not parse, or
that holds more than two free size variables, gives ``None``: no atom is made from it.

>>> canonical_big_o("nums1.length + nums2.length"), canonical_big_o("rows x cols")
('n + m', 'n m')
>>> canonical_big_o("nlog(n)"), canonical_big_o("k log(mn)"), canonical_big_o("height of tree")
('n log n', 'k log(n m)', 'h')
>>> canonical_big_o("0,0") is None, canonical_big_o("n^x") is None
(True, True)
>>> canonical_big_o("\u03b1(n)"), canonical_big_o("f(n)") is None
('alpha(n)', True)
"""

from __future__ import annotations

import re

__all__ = ["canonical_big_o"]

_FIXED = {"k": "k", "v": "V", "vertices": "V", "e": "E", "edges": "E", "h": "h", "height": "h"}
_FREE = ("n", "m")
#: names of the inverse Ackermann function (union-find's amortised bound), printed ``alpha``
_SLOW_FUNCTIONS = ("alpha", "ackermann")
_VARIABLE_ORDER = {"V": 0, "E": 1, "n": 2, "m": 3, "k": 4, "h": 5}
#: a size quantity written in the statement's own terms, matched before tokenising
_QUANTITY = re.compile(
    r"(?:sum|max|min)\s*(?:of\s*)?\(?\s*[a-z_][\w]*(?:\[\w+\])?(?:\.\w+)?\s*\)?"
    r"|[a-z_]\w*(?:\[\w+\])?\.(?:length|size)(?:\(\))?"
    r"|len\(\s*\w+\s*\)"
    r"|height of (?:the )?tree",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"\s*(?:(?P<num>\d+)|(?P<word>[A-Za-z_][\w]*)|(?P<op>[-+*^()!\u00d7\u00b7]))")


class _Parser:
    """Recursive descent over ``expr := term (+ term)*``, ``term := power+``."""

    def __init__(self, text: str) -> None:
        self.tokens = self._tokenise(text)
        self.pos = 0
        self.names: dict[str, str] = {}

    @staticmethod
    def _tokenise(text: str) -> list[str]:
        tokens, pos = [], 0
        seen: dict[str, str] = {}

        def placeholder(match: re.Match[str]) -> str:
            if match.group(0).lower().startswith("height"):
                return " h "
            return " " + seen.setdefault(match.group(0).lower(), f"q{len(seen)}") + " "

        text = _QUANTITY.sub(placeholder, text)
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                if text[pos:].strip() == "":
                    break
                raise ValueError(f"unexpected {text[pos:]!r}")
            pos = match.end()
            tokens.append(match.group("num") or match.group("word") or match.group("op"))
        return tokens

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise ValueError("expression ends early")
        self.pos += 1
        return token

    def variable(self, word: str) -> list[str]:
        low = word.lower()
        if low in _FIXED:
            return [_FIXED[low]]
        if re.fullmatch(r"[nmk]{2,3}", low):  # ``mn``, ``nk``: juxtaposed single letters
            return [v for letter in low for v in self.variable(letter)]
        if low not in self.names:
            used = set(self.names.values())
            free = [v for v in _FREE if v not in used]
            if low in _FREE and low not in used:
                free = [low]
            if not free:
                raise ValueError("more than two free size variables")
            self.names[low] = free[0]
        return [self.names[low]]

    def expr(self) -> str:
        terms = [self.term()]
        while self.peek() == "+":
            self.take()
            terms.append(self.term())
        order = _VARIABLE_ORDER
        return " + ".join(sorted(dict.fromkeys(terms), key=lambda t: order.get(t[0], 9)))

    def term(self) -> str:
        factors: list[str] = []
        while self.peek() not in (None, "+", ")"):
            if self.peek() in ("*", "x", "\u00d7", "\u00b7"):
                self.take()
                continue
            factors.extend(self.power())
        if not factors:
            raise ValueError("empty term")
        factors = [f for f in factors if f != "1"] or ["1"]
        order = _VARIABLE_ORDER
        return " ".join(
            sorted(factors, key=lambda f: (f.startswith(("log", "2^")), order.get(f[0], 9)))
        )

    def power(self) -> list[str]:
        base = self.atom()
        if self.peek() == "^":
            self.take()
            exponent = self.take()
            if not exponent.isdigit() or len(base) != 1:
                raise ValueError("only integer powers of one variable")
            return [f"{base[0]}^{exponent}"]
        if self.peek() == "!":
            self.take()
            return [f"{base[0]}!"]
        return base

    def atom(self) -> list[str]:
        token = self.take()
        if token == "(":
            inner = self.expr()
            if self.take() != ")":
                raise ValueError("unbalanced parentheses")
            return [inner if " + " not in inner else f"({inner})"]
        if token.isdigit():
            if token == "2" and self.peek() == "^":
                self.take()
                return [f"2^{self.variable(self.take())[0]}"]
            if token != "1":
                raise ValueError("a constant other than 1")
            return ["1"]
        if token.lower() in ("log", "logn", "logk", "logm"):
            if token.lower() != "log":
                return [f"log {self.variable(token[3:])[0]}"]
            return self.atom_log()
        return self.atom_word(token)

    def atom_log(self) -> list[str]:
        """The argument of a ``log`` just taken, printed as ``log n`` or ``log(n m)``."""
        arg = self.power()
        inner = " ".join(arg)
        if inner.startswith("(") and inner.endswith(")"):
            return [f"log{inner}"]
        return [f"log {inner}" if len(arg) == 1 and " " not in inner else f"log({inner})"]

    def atom_word(self, token: str) -> list[str]:
        if token.lower() == "sqrt":
            return [f"sqrt {self.atom()[0]}"]
        if token.lower() in _SLOW_FUNCTIONS and self.peek() == "(":
            return [f"alpha({self.atom()[0]})"]
        if re.fullmatch(r"n\d", token.lower()):  # ``n2`` written for n^2
            return [f"n^{token[1]}"]
        if token.lower() in ("nlog", "mlog"):  # ``nlog(n)``
            return self.variable(token[0]) + self.atom_log()
        if token.lower().startswith(("nlog", "mlog")):  # ``nlogn``
            return [*self.variable(token[0]), f"log {self.variable(token[4:])[0]}"]
        low = token.lower()
        named = low in _FIXED or low in _FREE or re.fullmatch(r"[nmk]{2,3}", low)
        if self.peek() == "(" and not named:
            raise ValueError(f"an unknown function {token}()")
        return self.variable(token)


def canonical_big_o(expression: str) -> str | None:
    """The canonical class of a big-O expression (without ``O( )``), or ``None``."""
    try:
        parser = _Parser(expression.replace("\u03b1", "alpha"))
        result = parser.expr()
    except (ValueError, IndexError):
        return None
    if parser.peek() is not None:
        return None
    return result
