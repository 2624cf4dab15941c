"""The PDF's structure tree mended after WeasyPrint: one bounded step on the PDF's bytes.

In: the bytes WeasyPrint wrote with ``pdf_tags=True`` and ``descriptions`` (``link_descriptions``
of the print HTML: a link target → what a listener hears). Out: the same PDF with its tag tree
fixed where WeasyPrint 70 leaves PDF/UA-1 faults (each has an upstream fix proposed in the
README's PDF section):

1. running heads and page numbers (margin boxes) are marked content whose structure element no
   tree reaches: they become ``/Artifact`` (``/Pagination``) in the page's content stream;
2. the table of contents' leader dots (marked text made only of dots) become ``/Artifact``;
3. a link's pseudo-elements and inline children (``a::after``, ``<sup>``) are Links or
   NonStructs inside the Link: every link is one ``Link`` holding its text and annotations;
4. table header cells get ``/Scope`` and the structure root an ``/IDTree`` for their ``/ID``;
5. a list item's content other than its label is wrapped in an ``LBody``;
6. every link annotation's ``/Contents`` says where it goes (``descriptions``), not a slug;
7. a line broken by automatic hyphenation carries ``/ActualText`` without the hyphen
   (U+2010, WeasyPrint's ``hyphenate-character``), so search, copy and speech get the word;
8. a captioned figure's image, whose alt the HTML leaves empty so that the caption is not read
   twice, gets a short ``/Alt`` pointing at its caption (PDF/UA wants one on every Figure).

Run in the PDF renderer's child (``pdf_worker``), which imports pikepdf lazily through here.
"""

from __future__ import annotations

import array
import re
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pikepdf

HYPHEN = "\u2010"
"""WeasyPrint's default ``hyphenate-character``: only automatic hyphenation writes it."""
FIGURE_ALT = "Figure, described by its caption"
"""The /Alt of a figure whose image has an empty alt (its caption says what it shows)."""
LEADER = frozenset(". \u00a0")
"""What a leader's text is made of (``leader(". . . ")`` in a theme's CSS; the default theme
draws its leaders as a background, ``leader.svg``, already an artifact)."""


# --------------------------------------------------------------------------------------------
# Text of each marked-content sequence


def _hex_tokens(text: str) -> Iterator[str]:
    """The tokens of a ToUnicode CMap: ``<hex>`` strings, ``[`` ``]`` and words."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "<" and not text.startswith("<<", i):
            end = text.index(">", i)
            yield text[i:end + 1]
            i = end + 1
        elif c in "[]":
            yield c
            i += 1
        elif c.isspace():
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in "<[]":
                j += 1
            yield text[i:j] or c
            i = max(j, i + 1)


def _utf16(token: str) -> str:
    return bytes.fromhex(token[1:-1]).decode("utf-16-be", "replace")


def _cmap(font: Any) -> tuple[dict[int, str], int]:
    """A font's code → text map (from its ToUnicode CMap) and its code width in bytes."""
    width = 2 if font.get("/Subtype") == "/Type0" else 1
    table: dict[int, str] = {}
    if "/ToUnicode" not in font:
        return table, width
    tokens = list(_hex_tokens(font.ToUnicode.read_bytes().decode("latin-1")))
    mode, i = "", 0
    while i < len(tokens):
        token = tokens[i]
        if token in ("beginbfchar", "beginbfrange", "endbfchar", "endbfrange"):
            mode = token if token.startswith("begin") else ""
            i += 1
        elif mode == "beginbfchar" and token.startswith("<") and i + 1 < len(tokens):
            table[int(token[1:-1], 16)] = _utf16(tokens[i + 1])
            i += 2
        elif mode == "beginbfrange" and token.startswith("<") and i + 2 < len(tokens):
            low, high = int(token[1:-1], 16), int(tokens[i + 1][1:-1], 16)
            if tokens[i + 2] == "[":
                j = i + 3
                for code in range(low, high + 1):
                    if tokens[j] == "]":
                        break
                    table[code] = _utf16(tokens[j])
                    j += 1
                while tokens[j] != "]":
                    j += 1
                i = j + 1
            else:
                first = bytes.fromhex(tokens[i + 2][1:-1])
                base = int.from_bytes(first[-2:] or b"\0", "big")
                for offset, code in enumerate(range(low, high + 1)):
                    last = (base + offset).to_bytes(2, "big")
                    table[code] = (first[:-2] + last).decode("utf-16-be", "replace")
                i += 3
        else:
            i += 1
    return table, width


class _Codes(dict[int, str]):
    """A font's code → text map; a code it lacks reads as U+FFFD."""

    def __missing__(self, code: int) -> str:
        return "\ufffd"


def _decode(data: bytes, cmap: tuple[dict[int, str], int]) -> str:
    table, width = cmap
    lookup = table.__getitem__ if isinstance(table, _Codes) else _Codes(table).__getitem__
    if width == 1:
        return "".join(map(lookup, data))
    codes = array.array("H", data[:len(data) - len(data) % 2])
    if sys.byteorder == "little":
        codes.byteswap()  # the PDF's codes are big-endian
    return "".join(map(lookup, codes))


TEXT_OPERATORS = frozenset(("BDC", "BMC", "EMC", "Tf", "Tj", "TJ", "'", '"'))
"""The content-stream operators ``_marked_text`` reads."""


def _marked_text(page: Any, instructions: list[Any],
                 cmaps: dict[tuple[int, int], tuple[dict[int, str], int]],
                 opened: dict[int, list[int]] | None = None) -> dict[int, str]:
    """MCID → the text shown inside it, on this page's content stream (``instructions``);
    ``cmaps`` caches each font's map by its object (pages share fonts); ``opened`` receives
    each MCID → the indexes of the ``BDC`` instructions that open it."""
    import pikepdf

    fonts: Any = page.obj.get("/Resources", {}).get("/Font", {})
    by_name: dict[str, tuple[dict[int, str], int]] = {}
    font: tuple[dict[int, str], int] = (_Codes(), 1)
    open_ids: list[int | None] = []
    text: dict[int, list[str]] = {}
    for index, instruction in enumerate(instructions):
        op = str(instruction.operator)
        if op not in TEXT_OPERATORS:
            continue
        operands = instruction.operands
        if op == "BDC":
            props = operands[1] if len(operands) > 1 else None
            mcid = props.get("/MCID") if isinstance(props, pikepdf.Dictionary) else None
            open_ids.append(int(mcid) if mcid is not None else None)
            if mcid is not None and opened is not None:
                opened.setdefault(int(mcid), []).append(index)
        elif op == "BMC":
            open_ids.append(None)
        elif op == "EMC":
            if open_ids:
                open_ids.pop()
        elif op == "Tf":
            name = str(operands[0])
            if name not in by_name:
                by_name[name] = _font_cmap(fonts[name], cmaps) if name in fonts else (_Codes(), 1)
            font = by_name[name]
        else:  # Tj TJ ' "
            current = next((m for m in reversed(open_ids) if m is not None), None)
            if current is None:
                continue
            shown = operands[-1]
            # an array of strings and kerns is read whole (not item by item: slow)
            data = bytes(shown) if isinstance(shown, pikepdf.String) else _shown_bytes(shown)
            text.setdefault(current, []).append(_decode(data, font))
    return {mcid: "".join(parts) for mcid, parts in text.items()}


_HEX_STRING = re.compile(rb"<([0-9A-Fa-f]*)>")
_STRING = re.compile(rb"<([0-9A-Fa-f]*)>|\(((?:[^\\()]|\\.)*)\)", re.S)
"""A string in a TJ array as QPDF writes it: hex, or literal with ``\\ ( )`` escaped."""
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)", re.S)
_ESCAPED = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(literal: bytes) -> bytes:
    """A literal string's bytes (PDF 32000-1, 7.3.4.2)."""
    if b"\\" not in literal:
        return literal
    return _ESCAPE.sub(lambda m: (bytes([int(m[1], 8) & 0xFF]) if m[1][:1].isdigit()
                                  else _ESCAPED.get(m[1], m[1] if m[1] != b"\n" else b"")),
                       literal)


def _shown_bytes(shown: Any) -> bytes:
    """The bytes a TJ array shows (its strings joined, its kerns dropped). Read from the array
    as pikepdf writes it back, ``[ <0054> 0 <0055> -6 ]`` (hex digits in pairs), in one call,
    not item by item (a page has thousands); literal strings ``(...)`` are unescaped as PDF
    32000-1 says."""
    array = shown.unparse().replace(b" () ", b" ")  # the empty strings before word spaces
    if b"(" in array:
        return b"".join(bytes.fromhex(hexes.decode()) if hexes else _unescape(literal)
                        for hexes, literal in _STRING.findall(array))
    return bytes.fromhex(b"".join(_HEX_STRING.findall(array)).decode("ascii"))


def _font_cmap(font: Any, cmaps: dict[tuple[int, int], tuple[dict[int, str], int]]
               ) -> tuple[dict[int, str], int]:
    key = font.objgen if font.is_indirect else (-1, id(font))
    if key not in cmaps:
        table, width = _cmap(font)
        cmaps[key] = (_Codes(table), width)
    return cmaps[key]


# --------------------------------------------------------------------------------------------
# The structure tree


def _kids(element: Any) -> list[Any]:
    import pikepdf

    k = element.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, pikepdf.Array) else [k]


def _is_elem(node: Any) -> bool:
    import pikepdf

    return (isinstance(node, pikepdf.Dictionary) and "/S" in node
            and node.get("/Type", "/StructElem") == "/StructElem")


def _walk(element: Any) -> Iterator[pikepdf.Dictionary]:
    """Every structure element under ``element`` (itself first), depth first."""
    yield element
    for kid in _kids(element):
        if _is_elem(kid):
            yield from _walk(kid)


def _walk_pages(element: Any, page: Any) -> Iterator[tuple[Any, Any]]:
    """Every structure element under ``element`` (itself first), depth first, with the page its
    marked content is on where a kid names none (its own ``/Pg``, else its parent's)."""
    page = element.get("/Pg", page)
    yield element, page
    for kid in _kids(element):
        if _is_elem(kid):
            yield from _walk_pages(kid, page)


def _content(element: Any, page: Any) -> Iterator[tuple[str, Any, Any]]:
    """The marked content and annotations under ``element`` in order: ``("mcid", page, n)`` and
    ``("objr", page, objr)``; ``page`` is the element's ``/Pg`` where the kid names none."""
    import pikepdf

    page = element.get("/Pg", page)
    for kid in _kids(element):
        if isinstance(kid, int):
            yield "mcid", page, int(kid)
        elif _is_elem(kid):
            yield from _content(kid, page)
        elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
            yield "mcid", kid.get("/Pg", page), int(kid.MCID)
        elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR":
            yield "objr", kid.get("/Pg", page), kid


def _read_nums(tree: Any) -> dict[int, Any]:
    """A number tree (the ParentTree) as a dict."""
    out: dict[int, Any] = {}
    nums = tree.get("/Nums")
    if nums is not None:
        for i in range(0, len(nums) - 1, 2):
            out[int(nums[i])] = nums[i + 1]
    for kid in tree.get("/Kids", []):
        out.update(_read_nums(kid))
    return out


def _same(a: Any, b: Any) -> bool:
    return bool(a.objgen == b.objgen) if a.is_indirect and b.is_indirect else a is b


# --------------------------------------------------------------------------------------------
# The step


def retag(data: bytes, descriptions: dict[str, str]) -> bytes:
    """``data`` (WeasyPrint's tagged PDF) with the faults above mended."""
    import io

    import pikepdf

    pdf = pikepdf.open(io.BytesIO(data))
    root = pdf.Root.get("/StructTreeRoot")
    if root is None:
        return _save(pdf)
    parent_tree = root.ParentTree
    parents = _read_nums(parent_tree)
    page_index = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
    tops = _kids(root)

    # Every element once, depth first (the passes below add LBody elements, which none needs),
    # and the (page, mcid) pairs some element holds.
    elements: list[Any] = []
    marked: set[tuple[int, int]] = set()
    for top in tops:
        for element, page in _walk_pages(top, None):
            elements.append(element)
            if element.get("/K") is None:
                continue
            for kid in _kids(element):
                if isinstance(kid, int):
                    if page is not None:
                        marked.add((page_index.get(page.objgen, -1), int(kid)))
                elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                    mcr_page = kid.get("/Pg", page)
                    if mcr_page is not None:
                        marked.add((page_index.get(mcr_page.objgen, -1), int(kid.MCID)))

    cmaps: dict[tuple[int, int], tuple[dict[int, str], int]] = {}
    instructions = [pikepdf.parse_content_stream(page) for page in pdf.pages]
    opened: list[dict[int, list[int]]] = [{} for _ in instructions]  # MCID → its BDCs' indexes
    texts = {i: _marked_text(page, instructions[i], cmaps, opened[i])
             for i, page in enumerate(pdf.pages)}

    artifacts: dict[tuple[int, int], str] = {}  # (page, mcid) → artifact type
    for i in range(len(pdf.pages)):
        array = parents.get(i)
        if array is None:
            continue
        for mcid in range(len(array)):
            if (i, mcid) not in marked:  # 1: a margin box's text, which no element lists
                artifacts[(i, mcid)] = "/Pagination"

    # 3, 2, 6: one Link per link, leaders out, a description on each annotation
    links = [element for element in elements if element.get("/S") == "/Link"]
    inner: set[tuple[int, int]] = set()
    gone: set[tuple[int, int]] = set()  # the elements inside links, which lose them
    for link in links:
        if link.objgen in inner:
            continue
        for element in _walk(link):
            if element is not link:
                gone.add(element.objgen)
                if element.get("/S") == "/Link":
                    inner.add(element.objgen)
        kids: list[Any] = []
        home = link.get("/Pg")
        for kind, page, value in list(_content(link, None)):
            if kind == "objr":
                kids.append(value)
                annotation = value.Obj
                if "/StructParent" in annotation:
                    parents[int(annotation.StructParent)] = link
                _describe(annotation, descriptions)
                continue
            number = page_index.get(page.objgen, -1) if page is not None else -1
            text = texts.get(number, {}).get(value, "")
            if text and set(text) <= LEADER:
                artifacts[(number, value)] = "/Layout"
                continue
            if home is not None and page is not None and _same(page, home):
                kids.append(value)
            else:
                kids.append(pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.MCR,
                                                                 Pg=page, MCID=value)))
            array = parents.get(number)
            if array is not None and value < len(array):
                array[value] = link
        link.K = pikepdf.Array(kids)

    # the tree as the links left it (their inner elements are gone)
    if all(element.is_indirect for element in elements):  # objgen names each one
        elements = [element for element in elements if element.objgen not in gone]
    else:
        elements = [element for top in tops for element in _walk(top)]

    # 4: header cells' scope, and the ID tree their IDs need
    ids: dict[str, Any] = {}
    for element in elements:
        if "/ID" in element:
            ids[str(element.ID)] = element
        if element.get("/S") == "/TH":
            row: Any = element.get("/P", {})
            section = row.get("/P", {}).get("/S")
            attributes = element.get("/A")
            if not isinstance(attributes, pikepdf.Dictionary):
                attributes = pikepdf.Dictionary(O=pikepdf.Name.Table)
                element.A = attributes
            if "/Scope" not in attributes:
                attributes.Scope = (pikepdf.Name.Column if section == "/THead"
                                    else pikepdf.Name.Row)
    if ids:
        names = pikepdf.Array()
        for key in sorted(ids, key=lambda k: k.encode("utf-8")):
            names.append(pikepdf.String(key))
            names.append(ids[key])
        root.IDTree = pdf.make_indirect(pikepdf.Dictionary(Names=names))

    # A figure whose caption says what it shows has an empty alt in the HTML (so the words are
    # not read twice); PDF/UA wants an /Alt on every Figure: a short one pointing at the caption
    for element in elements:
        if element.get("/S") == "/Figure" and not str(element.get("/Alt", "")).strip() \
                and _captioned(element):
            element.Alt = pikepdf.String(FIGURE_ALT)

    # 5: a list item holds Lbl and LBody only
    for element in elements:
        if element.get("/S") != "/LI":
            continue
        kids = _kids(element)
        if all(_is_elem(k) and k.get("/S") in ("/Lbl", "/LBody") for k in kids):
            continue
        body = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.StructElem, S=pikepdf.Name.LBody, P=element,
            K=pikepdf.Array()))
        if "/Pg" in element:
            body.Pg = element.Pg
        kept: list[Any] = []
        for kid in kids:
            if _is_elem(kid) and kid.get("/S") in ("/Lbl", "/LBody"):
                kept.append(kid)
                continue
            if _is_elem(kid):
                kid.P = body
            elif isinstance(kid, int):  # marked content straight under the item
                kid = pikepdf.Dictionary(Type=pikepdf.Name.MCR, Pg=element.Pg, MCID=kid)
            body.K.append(kid)
        if body not in kept:
            kept.append(body)
        element.K = pikepdf.Array(kept)

    # 1, 2, 7 in the content streams: the BDC opening each MCID concerned, rewritten in place
    BDC = pikepdf.Operator("BDC")
    on_page: dict[int, dict[int, str]] = {}
    for (p, m), kind in artifacts.items():
        on_page.setdefault(p, {})[m] = kind
    for i, page in enumerate(pdf.pages):
        hyphenated = _whole_words(texts[i])
        mine = on_page.get(i, {})
        if not mine and not hyphenated:
            continue
        changed = instructions[i]
        for mcid in (*mine, *(m for m in hyphenated if m not in mine)):
            for index in opened[i].get(mcid, ()):
                if mcid in mine:
                    changed[index] = pikepdf.ContentStreamInstruction(
                        [pikepdf.Name.Artifact, pikepdf.Dictionary(Type=pikepdf.Name(mine[mcid]))],
                        BDC)
                else:
                    operands = changed[index].operands
                    props: Any = operands[1]
                    props.ActualText = pikepdf.String(hyphenated[mcid])
                    changed[index] = pikepdf.ContentStreamInstruction([operands[0], props], BDC)
        page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(changed))
        array = parents.get(i)
        if array is not None:
            for mcid in mine:
                if mcid < len(array):
                    array[mcid] = None

    parent_tree.Nums = pikepdf.Array(
        [x for key in sorted(parents) for x in (key, parents[key])])
    if "/Kids" in parent_tree:
        del parent_tree.Kids
    return _save(pdf)


def _save(pdf: Any) -> bytes:
    """The PDF's bytes, every stream compressed and the objects that may be packed into object
    streams (WeasyPrint writes its PDF uncompressed for this step: ``pdf_worker``)."""
    import io

    import pikepdf

    out = io.BytesIO()
    pdf.save(out, deterministic_id=True, compress_streams=True,
             object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


def _captioned(figure: Any) -> bool:
    """Whether a Caption is among the children of the figure's parent or grandparent (the
    ``<figure>`` around the ``<img>``)."""
    parent = figure.get("/P")
    for _ in range(2):
        if parent is None or not _is_elem(parent):
            return False
        if any(_is_elem(k) and k.get("/S") == "/Caption" for k in _kids(parent)):
            return True
        parent = parent.get("/P")
    return False


def _whole_words(texts: dict[int, str]) -> dict[int, str]:
    """MCID → the text it should be read as where automatic hyphenation split a word: the line
    before the break holds the whole word (its hyphen dropped, the rest of the word added), the
    next line's text starts after that rest. ``texts`` is in content-stream order, which is the
    order WeasyPrint draws lines in; a word split across pages only loses its hyphen."""
    order = [m for m, t in texts.items() if t]
    actual: dict[int, str] = {}
    for index, mcid in enumerate(order):
        text = actual.get(mcid, texts[mcid])
        if not texts[mcid].endswith(HYPHEN):
            continue
        rest = ""
        if index + 1 < len(order):
            following = order[index + 1]
            after = actual.get(following, texts[following])
            head = after.split(None, 1)[0] if after.strip() and not after[0].isspace() else ""
            if head and not head.endswith(HYPHEN):
                rest = head
                actual[following] = after[len(head):]
        actual[mcid] = text[:-1] + rest
    return actual


def _describe(annotation: Any, descriptions: dict[str, str]) -> None:
    """Set a link annotation's ``/Contents`` to what it links to."""
    import pikepdf

    target = None
    if "/Dest" in annotation:
        target = "#" + str(annotation.Dest)
    elif "/A" in annotation and "/URI" in annotation.A:
        target = str(annotation.A.URI)
    if target is None:
        return
    description = descriptions.get(target)
    if description is None:
        description = f"Link: {target}" if not target.startswith("#") else None
    if description:
        annotation.Contents = pikepdf.String(description)


def _text(element: Any) -> str:
    return " ".join(element.text_content().split())


def _shorten(text: str, limit: int = 90) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.") + "…"


def link_descriptions(html: str) -> dict[str, str]:
    """What each link of the print HTML leads to, as a listener should hear it: ``#id`` (an
    internal target) or the URL → "Section: Classification", "Reference 1: Smith J. Cytokines
    in Immunology…", "Footnote 2", "Back to footnote 2", "Web address: https://…"."""
    from lxml import html as lxml_html

    tree = lxml_html.fromstring(html)
    out: dict[str, str] = {}
    notes = 0
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        ident = element.get("id")
        classes = (element.get("class") or "").split()
        if element.tag == "li" and ident and element.getparent() is not None and any(
                "footnotes" in (a.get("class") or "").split() for a in element.iterancestors()):
            notes += 1
            out["#" + ident] = f"Footnote {notes}"
            continue
        if not ident:
            continue
        if element.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            out["#" + ident] = f"Section: {_text(element)}"
        elif "csl-entry" in classes:
            label = element.find_class("csl-left-margin")
            body = element.find_class("csl-right-inline")
            number = _text(label[0]).rstrip(".") if label else ""
            words = _text(body[0]) if body else _text(element)
            out["#" + ident] = _shorten(f"Reference {number}: {words}" if number
                                        else f"Reference: {words}")
        elif "footnote-ref" in classes:
            out["#" + ident] = f"Back to the call of footnote {_text(element)}"
        elif "citation" in classes:
            out["#" + ident] = f"Back to citation {ident.rsplit('-', 1)[-1]}"
        else:
            out["#" + ident] = _shorten(f"Go to: {_text(element)}")
    for anchor in tree.iter("a"):
        href = anchor.get("href") or ""
        if href.startswith(("http://", "https://", "mailto:")) and href not in out:
            out[href] = f"Web address: {href}"
    return out
