"""Front matter: split it off an article's text and load it safely, with line numbers.

In: the article's text. Out: the YAML mapping, the line of each top-level key, the body with
the front matter blanked (so body line numbers stay file line numbers), and diagnostics.

YAML is untrusted: only the safe schema, no aliases (a billion-laughs bomb cannot expand),
bounded size and nesting depth.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publisher.diagnostics import Diagnostic, error

if TYPE_CHECKING:
    import yaml

MAX_FRONT_MATTER_BYTES = 256 * 1024
MAX_DEPTH = 32


_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def _clean(value: Any) -> Any:
    """Strings with control characters or lone surrogates (``"\\ud800"`` in YAML) → U+FFFD,
    so every output can encode them; containers are cleaned all the way down."""
    if isinstance(value, str):
        return _NOT_TEXT.sub("\ufffd", value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    return value


@functools.cache
def _loader() -> type[yaml.SafeLoader]:
    """The safe loader, refusing aliases and deep nesting while it composes the node tree, and
    keeping dates as text (the checks judge them: an impossible 2019-02-29 is one finding at
    its line, not a failure of the whole file, and every consumer reads them as strings).
    Made on first use: splitting the front matter off (``split``, before pandoc starts) needs
    no YAML."""
    import yaml

    class _Loader(yaml.SafeLoader):
        depth = 0

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(
                    None, None,
                    "YAML aliases (*name) are not allowed here; repeat the value instead",
                    event.start_mark)
            self.depth += 1
            try:
                if self.depth > MAX_DEPTH:
                    raise yaml.composer.ComposerError(
                        None, None, f"YAML nested deeper than {MAX_DEPTH} levels",
                        self.peek_event().start_mark)
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    def timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        assert isinstance(node, yaml.ScalarNode)  # a timestamp is a scalar
        return loader.construct_scalar(node)

    _Loader.add_constructor("tag:yaml.org,2002:timestamp", timestamp_as_text)
    return _Loader


@dataclass
class YAMLResult:
    data: Any = None
    key_lines: dict[str, int] = field(default_factory=dict)
    """Top-level key → 1-based file line; keys of a mapping one level down as ``key.sub``."""
    item_lines: list[int] = field(default_factory=list)
    """For a top-level sequence (or the ``references:`` sequence): each item's 1-based line."""
    diagnostics: list[Diagnostic] = field(default_factory=list)


def load_yaml(text: str, path: Path, *, first_line: int = 1, code: str = "yaml",
              list_key: str | None = None) -> YAMLResult:
    """Safely load YAML that starts at ``first_line`` of ``path``, keeping line numbers.

    ``list_key`` names a top-level key holding a list whose item lines are wanted.
    """
    import yaml

    result = YAMLResult()
    try:
        loader = _loader()(text)  # checks the characters first: may raise a ReaderError
    except yaml.reader.ReaderError as exc:
        before = text[:max(exc.position, 0)]
        line, column = first_line + before.count("\n"), len(before) - (before.rfind("\n") + 1) + 1
        result.diagnostics.append(error(path, line, column, code,
                                        f"character U+{exc.character:04X} is not allowed in YAML; "
                                        "remove it"))
        return result
    try:
        node = loader.get_single_node()
        if node is None:
            return result
        result.data = _clean(loader.construct_document(node))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        column = (mark.column + 1) if mark else 1
        problem = exc.problem or exc.context or "invalid YAML"
        if "could not determine a constructor" in problem:
            problem = f"YAML tag {problem.split('tag ', 1)[-1]} is not allowed; use plain values"
        elif exc.problem and exc.context and exc.context_mark and exc.context_mark is not mark:
            cm = exc.context_mark
            problem += (f" ({exc.context} that starts at line {first_line + cm.line}, "
                        f"column {cm.column + 1})")
        result.diagnostics.append(error(path, line, column, code, f"{problem}"))
        return result
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        result.diagnostics.append(error(path, first_line, 1, code, f"cannot read YAML: {exc}"))
        return result
    finally:
        loader.dispose()
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                result.key_lines[str(key_node.value)] = first_line + key_node.start_mark.line
                if isinstance(value_node, yaml.MappingNode):  # one level down: "source.url"
                    for sub_key, _ in value_node.value:
                        if isinstance(sub_key, yaml.ScalarNode):
                            result.key_lines[f"{key_node.value}.{sub_key.value}"] = (
                                first_line + sub_key.start_mark.line)
                if (list_key and key_node.value == list_key
                        and isinstance(value_node, yaml.SequenceNode)):
                    result.item_lines = [first_line + n.start_mark.line for n in value_node.value]
    elif isinstance(node, yaml.SequenceNode):
        result.item_lines = [first_line + n.start_mark.line for n in node.value]
    return result


@dataclass
class Split:
    yaml_text: str
    """The front matter's YAML (empty when there is none)."""
    yaml_first_line: int
    body: str
    """The Markdown body, front matter lines blanked so line numbers match the file."""
    diagnostics: list[Diagnostic] = field(default_factory=list)


def split(text: str, path: Path) -> Split:
    """Split ``---`` front matter (closed by ``---`` or ``...``) from the body."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return Split("", 1, text)
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            yaml_text = "".join(lines[1:i])
            diags = []
            if len(yaml_text.encode()) > MAX_FRONT_MATTER_BYTES:
                diags.append(error(path, 2, 1, "front-matter-size",
                                   f"front matter is larger than "
                                   f"{MAX_FRONT_MATTER_BYTES // 1024} KiB; move long text into "
                                   "the body"))
                yaml_text = ""
            body = "\n" * (i + 1) + "".join(lines[i + 1:])
            return Split(yaml_text, 2, body, diags)
    return Split("", 1, "", [error(path, 1, 1, "front-matter-unterminated",
                                   "front matter opened with '---' on line 1 is never closed; "
                                   "end it with a line '---'")])
