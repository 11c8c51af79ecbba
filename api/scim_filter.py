"""SCIM filter expressions (RFC 7644 §3.4.2.2) parsed into a small tree that models.scim turns into SQL:
("and"|"or", left, right), ("not", inner), or (operator, attribute, value). Attribute names are
lower-cased and lose the core schema's URN prefix; values are JSON literals."""
from __future__ import annotations

import json
import re

OPERATORS = {"eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le", "pr"}
CORE_PREFIXES = ("urn:ietf:params:scim:schemas:core:2.0:user:", "urn:ietf:params:scim:schemas:core:2.0:group:")
_TOKEN = re.compile(r'\s*(?:(?P<paren>[()])|(?P<string>"(?:[^"\\]|\\.)*")|(?P<word>[^\s()"]+))')
MAX_LENGTH = 2000


class FilterError(ValueError):
    pass


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise FilterError(f"cannot read the filter at {text[pos:pos + 20]!r}")
        out.append(match.group("paren") or match.group("string") or match.group("word"))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def attribute_name(name: str) -> str:
    name = name.lower()
    for prefix in CORE_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


class _Parser:
    def __init__(self, tokens: list[str]):
        self.tokens, self.pos = tokens, 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise FilterError("the filter ends too early")
        self.pos += 1
        return token

    def expression(self) -> tuple:  # or binds loosest
        left = self.term()
        while (self.peek() or "").lower() == "or":
            self.take()
            left = ("or", left, self.term())
        return left

    def term(self) -> tuple:
        left = self.factor()
        while (self.peek() or "").lower() == "and":
            self.take()
            left = ("and", left, self.factor())
        return left

    def factor(self) -> tuple:
        token = self.take()
        if token == "(":
            inner = self.expression()
            if self.take() != ")":
                raise FilterError("a parenthesis is not closed")
            return inner
        if token.lower() == "not":
            if self.take() != "(":
                raise FilterError("not takes a parenthesised filter")
            inner = self.expression()
            if self.take() != ")":
                raise FilterError("a parenthesis is not closed")
            return ("not", inner)
        if "[" in token:
            raise FilterError("value paths ([...]) are not supported in filters")
        attribute = attribute_name(token)
        op = self.take().lower()
        if op not in OPERATORS:
            raise FilterError(f"unknown operator {op!r}")
        if op == "pr":
            return ("pr", attribute, None)
        raw = self.take()
        try:
            value = json.loads(raw)
        except ValueError:
            raise FilterError(f"{raw!r} is not a string, number, true, false or null") from None
        return (op, attribute, value)


def parse(text: str) -> tuple:
    if len(text) > MAX_LENGTH:
        raise FilterError("the filter is too long")
    parser = _Parser(_tokens(text))
    tree = parser.expression()
    if parser.peek() is not None:
        raise FilterError(f"unexpected {parser.peek()!r} in the filter")
    return tree
