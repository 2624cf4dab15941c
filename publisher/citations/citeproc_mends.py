"""Mends to citeproc-py, found by comparing its output with pandoc's citeproc on the same
items and styles (tests/test_references.py holds the comparisons).

In: nothing (``mend()`` patches citeproc-py's classes once, on first use, so that importing
``publisher`` stays light). Out: citeproc-py rendering as CSL says, and marks around the names
a citation shows while ``STATE["mark_names"]`` is set (``bibliography`` cuts them out for the
author-in-text form). citeproc-py is pinned below 1.0 in pyproject.toml; each mend is pinned
by a test.
"""

from __future__ import annotations

import re
from typing import Any

NAMES, END_NAMES = "\ue003", "\ue004"
"""Private-use marks around the first names a cite shows (only while marking)."""

STATE: dict[str, Any] = {"mark_names": False, "depth": 0, "substituted": [], "rendered": 0}
"""Rendering state the mends share: whether to mark names, the depth of nested names, the
variables each ``cs:substitute`` branch used, and how many variables have rendered."""

_MENDED = False




def mend() -> None:
    """Import citeproc-py and mend eight gaps in it (measured against pandoc's citeproc):

    - names in citations are marked, so that ``@key`` can show the author in the text and
      ``[-@key]`` can leave the author out (citeproc-py has neither form);
    - a variable that ``cs:substitute`` put in place of a missing author is suppressed in the
      rest of the entry, as CSL says (citeproc-py forgets the variables inside a macro, so an
      APA web page without author shows its title twice);
    - ``text-case="title"`` applies where no item language is known, in an English style
      (citeproc-py skipped it: "(eds.)" for APA's "(Eds.)");
    - a group whose variables are all empty is left out, whatever constants it holds;
    - entries sort on their text, not on their markup;
    - ``initialize="false"`` keeps given names whole;
    - cites keep their written order in styles that do not sort them;
    - a localised date is joined with its locale's delimiter.
    """
    global _MENDED
    if _MENDED:
        return
    from citeproc.model import Names, Substitute, Text, VariableError

    names_render = Names.render

    def render_names(self: Any, *args: Any, **kwargs: Any) -> Any:
        STATE["depth"] += 1
        try:
            text = names_render(self, *args, **kwargs)
        finally:
            STATE["depth"] -= 1
        if text:
            STATE["rendered"] += 1
        if text and STATE["mark_names"] and STATE["depth"] == 0:
            return NAMES + text + END_NAMES
        return text

    text_variable = Text._variable

    def variable(self: Any, item: Any, context: Any) -> Any:
        text = text_variable(self, item, context)
        if text is not None and text != "":
            STATE["rendered"] += 1
        if text is not None and STATE["substituted"]:
            STATE["substituted"][-1].append(self.get("variable"))
        return text

    def substitute(self: Any, item: Any, context: Any = None, **kwargs: Any) -> Any:
        text = None
        for child in self.getchildren():
            STATE["substituted"].append([])
            try:
                if isinstance(child, Names) and child.name is None:
                    names = self.xpath_search("./parent::cs:names[1]")[0]
                    text = child.render(item, names_context=names, context=context, **kwargs)
                else:
                    text = child.render(item, context=context, **kwargs)
            except VariableError:
                text = None
            finally:
                used = STATE["substituted"].pop()
            if text:
                self.add_to_repressed_list(child, context)
                text_tag = child.tag.rsplit("}", 1)[0] + "}text"
                context.get_layout().repressed.setdefault(text_tag, []).extend(used)
                break
        return text

    from citeproc.model import TextCased

    text_case = TextCased.case

    def case(self: Any, text: Any, language: Any = None) -> Any:
        if language is None:  # citeproc-py then skips title case, even in an English style
            language = (self.get_root().get("default-locale") or "en-US")[:2]
        return text_case(self, text, language)

    TextCased.case = case

    # cs:group is suppressed when it calls variables and every one is empty. citeproc-py
    # decides from the style alone, so a group holding a constant and an empty variable
    # survives: APA's thesis reads "T cells (Publication) [PhD thesis]". Count the variables
    # that really render, and suppress the group when none did.
    from citeproc.model import Date, Group, Label, Number

    def counting(render: Any, only: str | None = None) -> Any:
        def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
            out = render(self, *args, **kwargs)
            if out and (only is None or self.get("variable") == only):
                STATE["rendered"] += 1
            return out
        return wrapped

    Date.render = counting(Date.render)
    Number.render = counting(Number.render)
    Label.render = counting(Label.render, only="locator")
    group_process = Group.process

    def group(self: Any, item: Any, context: Any = None, **kwargs: Any) -> Any:
        before = STATE["rendered"]
        out = group_process(self, item, context=context, **kwargs)
        if STATE["rendered"] == before and any(c.calls_variable() for c in self.iterchildren()):
            raise VariableError
        return out

    Group.process = group

    # Sort keys rendered through a macro keep their markup: "<i>Interleukin 2</i>" sorted
    # before "Alpha". Sort on the text, as pandoc's citeproc does.
    from citeproc.model import Key

    sort_keys = Key.sort_keys

    def plain_sort_keys(self: Any, items: Any, context: Any) -> Any:
        return [re.sub(r"<[^>]+>", "", str(k)) if isinstance(k, str) else k
                for k in sort_keys(self, items, context)]

    Key.sort_keys = plain_sort_keys

    # CSL 1.0.1's initialize="false" keeps given names whole where initialize-with is set
    # for the whole style (Chicago: "Smith, John", which citeproc-py writes "Smith, J.").
    from citeproc.model import Name

    name_option = Name.get_option

    def get_name_option(self: Any, name: str, context: Any = None, sort_options: Any = None) -> Any:
        value = name_option(self, name, context, sort_options)
        if name == "initialize-with" and self.get("initialize", "true") == "false":
            return None
        return value

    Name.get_option = get_name_option

    # Without cs:sort in cs:citation, cites keep the order the author wrote them in (CSL);
    # citeproc-py put them in bibliography order: "(Kim 2012; WHO 2020)" for "[@who; @kim]".
    from citeproc.model import Layout

    layout_citation = Layout.render_citation

    def render_citation(self: Any, citation: Any, callback: Any) -> Any:
        if self.getparent().sort is not None:
            return layout_citation(self, citation, callback)
        out = []  # citeproc-py's Layout.render_citation, without its sort
        for item in citation.cites:
            if item.is_bad():
                out.append(callback(item) or f"{item.key}?")
                continue
            self.repressed = {}
            try:
                output = self.render_children(item)
            except VariableError:
                continue
            if output is not None:
                out.append(item.get("prefix", "") + output + item.get("suffix", ""))
                self.getparent().cites.append(item)
        return self.format(self.wrap(self.join(out)))

    Layout.render_citation = render_citation

    # A localised date (``<date form="text">``) is joined with the delimiter its locale gives
    # ("2014 Jun 15" in NLM/Vancouver); citeproc-py used the calling element's: "2014Jun15".
    single_date = Date.render_single_date

    def render_single_date(self: Any, date: Any, show_parts: Any = None,
                           context: Any = None) -> Any:
        if context is not None and context is not self and self.is_locale_date() and \
                context.get("delimiter") is None and self.get("delimiter") is not None:
            parts = self.parts(date, show_parts, context)
            return self.join(parts) if parts else None
        return single_date(self, date, show_parts, context)

    Date.render_single_date = render_single_date
    Names.render = render_names
    Text._variable = variable
    Substitute.render = substitute
    _MENDED = True
