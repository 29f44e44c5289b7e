"""Mail bodies as the person wrote them: HTML to text, earlier messages and signatures out.

Removed: quoted lines ("> "), an attribution line ("Den 14 mars 2025 skrev …:", "On …
wrote:") above quoted text, everything from "-----Ursprungligt meddelande-----" or an Outlook
header block ("Från: … Skickat: …") on, the signature after the standard "-- " line, and the
mapping's ``boilerplate`` texts. A person's own closing words ("Med vänlig hälsning, Anna")
are what they wrote and stay (the anonymiser handles the name). The patterns are data:
``mail_patterns.yaml``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

from ..yamlio import read_yaml  # duplicate keys refused

PATTERNS_FILE = Path(__file__).with_name("mail_patterns.yaml")


class _Patterns:
    def __init__(self, data: dict) -> None:
        flags = re.IGNORECASE
        self.original = [re.compile(p, flags) for p in data["original_message"]]
        self.attribution = [re.compile(p, flags) for p in data["attribution"]]
        self.header_start = re.compile(data["header_block_start"], flags)
        self.header_next = re.compile(data["header_block_next"], flags)
        self.signature = re.compile(data["signature"])
        self.quoted = re.compile(data["quoted"])


@lru_cache(maxsize=1)
def patterns() -> _Patterns:
    return _Patterns(read_yaml(PATTERNS_FILE, "mail patterns"))


def _is_attribution(lines: list[str], i: int, p: _Patterns) -> int:
    """How many lines (1-3) an attribution starting at line ``i`` takes; 0 when it is none."""
    if not lines[i].strip():
        return 0
    joined = ""
    for k in range(3):
        if i + k >= len(lines) or (k and not lines[i + k].strip()):
            break
        joined = f"{joined} {lines[i + k].strip()}" if joined else lines[i + k]
        if any(a.match(joined) for a in p.attribution):
            return k + 1
    return 0


def _quoted_or_end(lines: list[str], j: int, p: _Patterns) -> bool:
    """Only quoted lines, or nothing, follow line ``j`` (blank lines aside)."""
    for line in lines[j:]:
        if line.strip():
            return bool(p.quoted.match(line))
    return True


def clean_body(text: str, boilerplate: tuple[str, ...] = ()) -> str:
    """The new text of a mail body (see the module's docstring)."""
    p = patterns()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for b in boilerplate:
        text = _boilerplate_re(b).sub("", text)
    lines = text.split("\n")
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if any(o.match(line) for o in p.original):
            break
        if p.header_start.match(line) and any(p.header_next.match(x) for x in lines[i + 1:i + 4]):
            break
        n = _is_attribution(lines, i, p)
        if n and _quoted_or_end(lines, i + n, p):
            i += n
            continue
        if p.quoted.match(line):
            i += 1
            continue
        kept.append(line)
        i += 1
    for k in range(len(kept) - 1, -1, -1):
        if p.signature.match(kept[k]):
            kept = kept[:k]
            break
    return _strip_blank_edges("\n".join(kept))


def _strip_blank_edges(text: str) -> str:
    lines = text.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(line.rstrip() for line in lines) if lines else ""


@lru_cache(maxsize=256)
def _boilerplate_re(text: str) -> re.Pattern[str]:
    words = text.split()
    return re.compile(r"\s*" + r"\s+".join(re.escape(w) for w in words) + r"\s*", re.IGNORECASE)


_BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
          "pre", "hr", "section", "article", "header", "footer", "address", "dd", "dt"}
_SKIP = {"script", "style", "head", "title", "template"}
_QUOTE_CLASSES = ("gmail_quote", "moz-cite-prefix", "yahoo_quoted", "divrplyfwdmsg", "appendonsend")
_VOID = {"br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr", "source"}


class _HTMLText(HTMLParser):
    """HTML mail to plain text with the standard library's parser: block elements become line
    breaks, ``<script>``/``<style>`` and quoted earlier messages (``<blockquote>``, Gmail's and
    Thunderbird's quote containers, Outlook's reply divider) are dropped.

    Hand-written on purpose: no library in the environment does exactly this (html2text writes
    Markdown and keeps quotes), and the rules are few and must be predictable.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []   # (tag, dropped)
        self.drop = 0
        self.stop = False

    def _dropping(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        if tag in _SKIP or tag == "blockquote":
            return True
        a = dict(attrs)
        cls = (a.get("class") or "").lower()
        ident = (a.get("id") or "").lower()
        return any(q in cls or q in ident for q in _QUOTE_CLASSES)

    def handle_starttag(self, tag, attrs):
        if self.stop:
            return
        if tag in _VOID:
            if tag in ("br", "hr") and not self.drop:
                self.parts.append("\n")
            return
        if (dict(attrs).get("id") or "").lower() == "divrplyfwdmsg":
            self.stop = True   # Outlook: everything below the reply divider is the earlier mail
            return
        dropped = self._dropping(tag, attrs)
        self.stack.append((tag, dropped))
        if dropped:
            self.drop += 1
        elif tag in _BLOCK and not self.drop:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self.stack and self.stack[-1][0] == tag:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if self.stop or tag in _VOID:
            return
        # close up to the matching open tag (HTML mail is often sloppy)
        for k in range(len(self.stack) - 1, -1, -1):
            if self.stack[k][0] == tag:
                for _, dropped in self.stack[k:]:
                    if dropped:
                        self.drop -= 1
                del self.stack[k:]
                if tag in _BLOCK and not self.drop:
                    self.parts.append("\n")
                return

    def handle_data(self, data):
        if self.stop or self.drop:
            return
        self.parts.append(re.sub(r"[ \t\r\n\f]+", " ", data))


def html_to_text(html: str) -> str:
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [line.strip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:   # at most one blank line between paragraphs
        if line or (out and out[-1]):
            out.append(line)
    return _strip_blank_edges("\n".join(out))
