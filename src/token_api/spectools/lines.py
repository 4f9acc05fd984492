"""Line numbers for JSON pointers, so that GitHub annotations land on the right line."""

from __future__ import annotations

from pathlib import Path

import yaml

from token_api.spectools.pointers import unescape

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineIndex:
    """Maps a pointer to the 1-based line of the deepest node of it found in the file."""

    def __init__(self, path: Path | None, *, text: str | None = None) -> None:
        """The file at ``path``, or ``text`` when given (a spec read from git has no file)."""
        self._root: yaml.Node | None = None
        try:
            if text is None and path is not None:
                text = path.read_text(encoding="utf-8")
            if text is not None:
                self._root = yaml.compose(text, Loader=_Loader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            self._root = None

    def line(self, pointer: str) -> int | None:
        node = self._root
        if node is None:
            return None
        line = node.start_mark.line + 1
        for raw in pointer.lstrip("/").split("/") if pointer else []:
            token = unescape(raw)
            child = None
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if str(key.value) == token:
                        child, line = value, key.start_mark.line + 1
                        break
            elif isinstance(node, yaml.SequenceNode) and token.isdigit():
                items = node.value
                if int(token) < len(items):
                    child = items[int(token)]
                    line = child.start_mark.line + 1
            if child is None:
                break
            node = child
        return line
