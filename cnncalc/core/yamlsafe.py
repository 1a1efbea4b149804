"""Safe, bounded YAML loading that keeps every node's position from the first parse."""

from __future__ import annotations

import math
import os
import re
import stat
import sys
from typing import Any


class _DeferredPattern:
    """A regular expression compiled on first use, standing in for `re.compile`'s result."""

    __slots__ = ("_args", "_compiled")

    def __init__(self, pattern: Any, flags: int) -> None:
        self._args = (pattern, flags)
        self._compiled: re.Pattern[Any] | None = None

    def __getattr__(self, name: str) -> Any:
        if self._compiled is None:
            self._compiled = _COMPILE(*self._args)
        return getattr(self._compiled, name)


_COMPILE = re.compile


def _deferred_compile(pattern: Any, flags: int = 0) -> Any:
    return _DeferredPattern(pattern, flags)


def _import_yaml() -> None:
    """Import PyYAML with the regexes it compiles at import deferred to their first use.

    The pure-Python reader's non-printable character class alone takes ~4 ms to compile and the
    C loader never uses it: deferred, every command that reads a file starts that much sooner.
    """
    if "yaml" in sys.modules:
        return
    re.compile = _deferred_compile  # type: ignore[assignment]
    try:
        import yaml  # noqa: F401
    finally:
        re.compile = _COMPILE


_import_yaml()
import yaml  # noqa: E402  (after _import_yaml)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode  # noqa: E402

from cnncalc.core.problems import ERROR, Located, Problem, SpecError  # noqa: E402

try:  # the C loader is ~10x faster; fall back to pure Python where libyaml is absent
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 64
# libyaml's composer recurses in C and crashes the interpreter on very deep nesting,
# so anything that *might* nest deeply is first measured with the (iterative) event parser.
_PREFIX = re.compile(r"^[ \t?:-]*", re.MULTILINE)
_INNERMOST = re.compile(r"\[[^\[\]{}]*\]|\{[^\[\]{}]*\}")

class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The safe C loader with a memo for scalar tag resolution.

    PyYAML resolves every plain scalar's implicit tag with Python regexes even under the C
    parser; architecture files repeat the same few scalars (conv, 64, same, 3), so a memo
    makes composing several times faster. The tags resolved are exactly PyYAML's.
    """

    _memo: dict[str, str] = {}  # a plain scalar's text -> its tag

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        if kind is ScalarNode:
            # PyYAML matches its implicit resolvers only on a plain scalar (implicit[0]), by its text
            # alone; any other scalar is text. So the text is the whole key (no tuple to build and hash).
            if not implicit[0]:
                return self.DEFAULT_SCALAR_TAG  # type: ignore[no-any-return]
            tag = self._memo.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(self._memo) < 50_000:
                    self._memo[value] = tag
            return tag
        # What PyYAML's resolver gives a collection when no path resolvers are registered (none are here).
        return SEQ if kind is SequenceNode else MAP

    # The C composer calls these around every node; with no path resolvers registered (none are
    # here) PyYAML's versions only test that and return, so plain no-ops are the same, cheaper.
    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
MERGE = "tag:yaml.org,2002:merge"  # `<<: *anchor`
SEQ = "tag:yaml.org,2002:seq"
MAP = "tag:yaml.org,2002:map"
_ALLOWED_TAGS = frozenset((STR, INT, FLOAT, BOOL, NULL, SEQ, MAP))
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def _problem(path: str, line: int, column: int, rule: str, message: str) -> SpecError:
    return SpecError(Problem(path, line, column, ERROR, rule, message))


def read_text(path: str) -> str:
    """Read a file as UTF-8 text, refusing directories, missing files and oversized input."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise _problem(path, 1, 1, "file-not-found",
                       "no such file; give the path of a .yaml architecture file or a bundled name "
                       "(`cnncalc list` shows them)") from None
    except OSError as exc:
        raise _problem(path, 1, 1, "unreadable-file", f"cannot read the file: {exc.strerror}") from None
    if stat.S_ISDIR(status.st_mode):
        raise _problem(path, 1, 1, "not-a-file",
                       "this is a directory; name a .yaml file (`cnncalc check` takes directories)")
    size = status.st_size
    if size > MAX_FILE_BYTES:
        raise _too_large(path, f"{size:,} bytes")
    try:
        with open(path, "rb") as handle:
            # read(size + 1), not read(MAX_FILE_BYTES + 1): that allocates a megabyte for every file.
            data = handle.read(size + 1)
            if len(data) > size:  # the file grew since the stat: read on, within the bound
                data += handle.read(MAX_FILE_BYTES + 1 - len(data))
    except OSError as exc:
        raise _problem(path, 1, 1, "unreadable-file", f"cannot read the file: {exc.strerror}") from None
    return decode(data, path)


def _too_large(path: str, size: str) -> SpecError:
    return _problem(path, 1, 1, "file-too-large", f"the file is {size}; architecture files are limited to "
                    f"{MAX_FILE_BYTES:,} bytes (use blocks and `repeat` to keep them short)")


def read_stream(stream: Any, name: str) -> str:
    """Read a text stream's bytes (standard input) under the same rules as a file: size, encoding, binary."""
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # closed (`<&-`: Python then has no sys.stdin) or not a byte stream
        raise _problem(name, 1, 1, "unreadable-file",
                       "standard input is closed; pipe an architecture file into it or give a path")
    try:
        data = buffer.read(MAX_FILE_BYTES + 1)
    except (OSError, ValueError) as exc:
        raise _problem(name, 1, 1, "unreadable-file",
                       f"cannot read standard input: {getattr(exc, 'strerror', None) or exc}") from None
    return decode(data, name)


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a byte-order mark: ASCII text with a NUL beside every character."""
    if len(head) < 4 or b"\x00" not in head:
        return False
    even, odd = head[0::2], head[1::2]
    return even.count(0) == len(even) or odd.count(0) == len(odd)


def decode(data: bytes, path: str) -> str:
    """Decode UTF-8 (with or without BOM), reporting the position of the first bad byte."""
    if len(data) > MAX_FILE_BYTES:
        raise _too_large(path, f"over {MAX_FILE_BYTES:,} bytes")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or _looks_utf16(data[:8192]):
        raise _problem(path, 1, 1, "invalid-encoding", "the file is UTF-16 (PowerShell's default for `>` and "
                       "Out-File); save it as UTF-8")
    if b"\x00" in data[:8192]:
        raise _problem(path, 1, 1, "binary-file", "this is a binary file, not a YAML architecture file")
    return decode_utf8(data, path)


def decode_utf8(data: bytes, path: str) -> str:
    """UTF-8 text (a BOM dropped); raises SpecError `invalid-encoding` at the line and column of the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        # Columns count characters everywhere else, so decode the line's good prefix to count them.
        column = len(before[before.rfind(b"\n") + 1:].decode("utf-8", errors="replace")) + 1
        raise _problem(path, line, column, "invalid-encoding",
                       f"byte 0x{data[exc.start]:02x} is not valid UTF-8; save the file as UTF-8") from None


def _nesting_depth(text: str, path: str) -> None:
    """Refuse documents nested deeper than MAX_DEPTH, measured from the parser's events (no recursion).

    The measure is cnncalc's own: libyaml's parser may stop first with a limit of its own (PyYAML 6.0.4's C
    scanner refuses 1,000 flow levels before it has emitted an event), so where the C parser fails, PyYAML's
    pure-Python parser (iterative, no nesting limit, at most ~1,024 characters of look-ahead) measures
    instead. A document neither measures beyond the limit is left to compose, which reports its error.
    """
    for loader in (_Loader, yaml.SafeLoader):
        try:
            _measure(yaml.parse(text, Loader=loader), path)
            return
        except yaml.YAMLError:
            continue


def _measure(events: Any, path: str) -> None:
    depth = 0
    for event in events:
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
                raise _problem(path, line, column, "too-deep",
                               f"the document nests more than {MAX_DEPTH} levels deep; "
                               "architecture files need only a few")
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1


def _may_be_deep(text: str) -> bool:
    """A cheap upper bound on nesting: flow brackets peeled level by level, plus the deepest line prefix.

    Nesting comes from brackets or from indentation and `- ` prefixes, so a document that
    passes this bound cannot be deeper than MAX_DEPTH; one that fails it is measured exactly.
    """
    brackets = text.count("[") + text.count("{")
    if brackets <= MAX_DEPTH and not _has_prefix_longer(text, MAX_DEPTH - brackets):
        return False  # even every bracket opened inside the one before stays within the limit: no peeling
    block = max(map(len, _PREFIX.findall(text)), default=0)
    flow = 0
    while "[" in text or "{" in text:
        stripped = _INNERMOST.sub("", text)
        flow += 1
        if stripped == text or flow + block > MAX_DEPTH:
            return True
        text = stripped
    return flow + block > MAX_DEPTH


_LONG_PREFIX: dict[int, re.Pattern[str]] = {}


def _has_prefix_longer(text: str, limit: int) -> bool:
    """Whether a line's prefix of spaces, tabs and `?:-` (what _PREFIX finds) is longer than `limit`.

    A search for a newline and limit + 1 such characters (the first line matched on its own) is
    several times faster than finding every line's prefix.
    """
    pattern = _LONG_PREFIX.get(limit)
    if pattern is None:
        pattern = _LONG_PREFIX[limit] = re.compile(r"\n[ \t?:-]{%d}" % (limit + 1))
    return pattern.search(text) is not None or pattern.match("\n" + text[:limit + 1]) is not None


def compose(text: str, path: str) -> Node | None:
    """Parse one YAML document into nodes (positions kept), safely and within bounds."""
    if _may_be_deep(text):
        _nesting_depth(text, path)
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow; libyaml gives only an offset
        raise _character_problem(text, path, exc) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or "invalid YAML"
        lines = text.splitlines()
        here = lines[mark.line] if mark and mark.line < len(lines) else ""
        if exc.context and "expected a single document" in exc.context:
            what = "the file holds more than one YAML document; keep one architecture per file"
        elif "\t" in what or "'\\t'" in what or (mark and "\t" in here[:mark.column + 1]):
            what = "a tab character; YAML indents with spaces only: replace the tab with spaces"
        elif "undefined alias" in what and mark:
            name = re.match(r"\*?([^\s,\]}]*)", here[mark.column:])
            what = (f"the alias *{name.group(1) if name else ''} is used but no anchor "
                    f"&{name.group(1) if name else ''} is defined above it; define the anchor first or write the value")
        elif "did not find expected ',' or" in what and "${" not in here:
            what += "; close every [ and { on the line or list it is opened on, and separate items with commas"
        elif "mapping values are not allowed" in what:
            what += "; check the indentation, or quote a value that contains ': '"
        elif ("could not find expected ':'" in what or "expected <block end>" in what
              or "expected '-' indicator" in what):
            what += "; check the indentation: items of one list or mapping line up in the same column"
        elif mark and "${" in (text.splitlines()[mark.line:mark.line + 1] or [""])[0]:
            # An unquoted ${...} inside a flow mapping is the usual cause; say so.
            what += "; inside { } or [ ], quote an expression: '${filters * 4}'"
        raise _problem(path, line, column, "yaml-syntax", f"YAML syntax error: {what}") from None
    except yaml.YAMLError as exc:
        raise _problem(path, 1, 1, "yaml-syntax", f"YAML error: {exc}") from None
    except RecursionError:
        raise _problem(path, 1, 1, "too-deep", "the document nests too deeply") from None


def _character_problem(text: str, path: str, exc: yaml.reader.ReaderError) -> SpecError:
    """The position (line and column, in characters) and name of a character YAML refuses."""
    offset = min(max(int(getattr(exc, "position", 0) or 0), 0), len(text))
    before = text[:offset]
    line = before.count("\n") + 1
    column = offset - (before.rfind("\n") + 1) + 1
    code = getattr(exc, "character", None)
    code = ord(code) if isinstance(code, str) and code else code if isinstance(code, int) else None
    what = f"the character U+{code:04X}" if code is not None else "a character"
    return _problem(path, line, column, "yaml-syntax",
                    f"{what} is not allowed in YAML (a control character); remove it, or write it as an escape "
                    'inside a double-quoted string ("\\x01")')


def position(node: Node) -> tuple[int, int]:
    """Return the 1-based (line, column) where a node starts."""
    mark = node.start_mark
    return mark.line + 1, mark.column + 1


_SCALARS: dict[tuple[str, str], Any] = {}


def refuse_merge_key(key: Node, path: str) -> None:
    """Refuse a YAML merge key (`<<: *anchor`) where it is used: the format does not support it."""
    if key.tag == MERGE:
        line, column = position(key)
        raise _problem(path, line, column, "yaml-syntax",
                       "YAML merge keys (`<<: *anchor`) are not supported in architecture files; write the "
                       "arguments out, put shared ones in `defaults:`, or make a block")


def check_tag(node: Node, path: str) -> None:
    """Refuse a node whose tag is not one of YAML's plain ones (str, int, float, bool, null, seq, map)."""
    if node.tag not in _ALLOWED_TAGS:
        line, column = position(node)
        raise _problem(path, line, column, "yaml-tag",
                       f"the tag {node.tag!r} is not allowed in an architecture file; remove it")


def scalar_value(node: Node, path: str) -> Any:
    """Return the Python value of a scalar node; other tags (object tags included) are refused."""
    tag = node.tag
    if tag == STR and type(node) is ScalarNode:
        return node.value
    if not isinstance(node, ScalarNode):
        check_tag(node, path)
        line, column = position(node)
        raise _problem(path, line, column, "invalid-value", "expected a single value here, not a list or mapping")
    key = (tag, node.value)
    if key in _SCALARS:  # ints, floats and booleans repeat across files; they are immutable
        return _SCALARS[key]
    value = _scalar_value(node, path)  # type: ignore[arg-type]  # a ScalarNode: collections were refused
    if len(_SCALARS) < 50_000:
        _SCALARS[key] = value
    return value


def _scalar_value(node: ScalarNode, path: str) -> Any:
    tag = node.tag
    if tag not in _ALLOWED_TAGS:
        line, column = position(node)
        raise _problem(path, line, column, "yaml-tag",
                       f"the tag {tag!r} is not allowed in an architecture file; remove it")
    if tag == STR:
        return node.value
    if tag == INT and len(node.value) > 30:
        line, column = position(node)
        raise _problem(path, line, column, "invalid-value",
                       f"the number {node.value[:12]}… has {len(node.value)} digits; write a realistic whole "
                       "number")
    if tag == FLOAT and len(node.value) > 60:
        line, column = position(node)
        raise _problem(path, line, column, "invalid-value", "this number is implausibly long")
    if tag == NULL:
        return None
    try:  # an explicit tag (`!!float abc`, `!!bool maybe`) may name a type its text cannot hold
        value = _CONSTRUCT[tag](node)
    except (ValueError, KeyError, TypeError, IndexError):
        line, column = position(node)
        raise _problem(path, line, column, "invalid-value",
                       f"{node.value!r} is not a {_TAG_WORDS[tag]}; remove the tag `!!{tag.rsplit(':', 1)[1]}` "
                       "or write a value of that type") from None
    if tag == FLOAT and not math.isfinite(value):
        line, column = position(node)
        raise _problem(path, line, column, "invalid-value",
                       f"{node.value} is not a finite number; no size, rate or factor in a network is")
    return value


_CONSTRUCT = {INT: _CONSTRUCTOR.construct_yaml_int, FLOAT: _CONSTRUCTOR.construct_yaml_float,
              BOOL: _CONSTRUCTOR.construct_yaml_bool}
_TAG_WORDS = {INT: "whole number", FLOAT: "number", BOOL: "truth value (true or false)"}


def plain(node: Node, path: str, budget: list[int] | None = None, depth: int = 0, top: Node | None = None) -> Any:
    """Convert a node (and what is under it) to Python values, bounded in size and depth."""
    top = top or node
    if budget is None:
        budget = [10_000]
    budget[0] -= 1
    if budget[0] < 0:
        line, column = position(top)
        raise _problem(path, line, column, "too-large",
                       "this value expands to over 10,000 items (through aliases?); write it out plainly")
    if depth > MAX_DEPTH:
        line, column = position(node)
        raise _problem(path, line, column, "too-deep", f"this value nests more than {MAX_DEPTH} levels deep")
    if isinstance(node, ScalarNode):
        return scalar_value(node, path)
    check_tag(node, path)
    if isinstance(node, SequenceNode):
        return [plain(item, path, budget, depth + 1, top) for item in node.value]
    if isinstance(node, MappingNode):
        result = {}
        for key, value in node.value:
            refuse_merge_key(key, path)
            if not isinstance(key, ScalarNode):
                line, column = position(key)
                raise _problem(path, line, column, "invalid-value", "a key must be a plain word, not a list or mapping")
            k = scalar_value(key, path)
            if k in result:
                line, column = position(key)
                raise _problem(path, line, column, "duplicate-key", f"`{k}` appears twice here; keep one")
            result[k] = plain(value, path, budget, depth + 1, top)
        return result
    return None  # pragma: no cover


def dump(data: Any) -> str:
    """YAML text of plain data (the library API's dict input); raises ValueError for what YAML cannot hold."""
    try:
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    except yaml.YAMLError as exc:
        raise ValueError(str(exc)) from None


TopEntry = tuple[Any, Located, Any, Located, tuple[Located, ...]]


def top_entries(text: str, path: str) -> list[TopEntry] | None:
    """A small settings document's top-level entries: (key, its position, plain value, the value's position,
    the positions of a list value's items); None if the document is not a mapping (empty: []).
    """
    root = compose(text, path)
    if root is None or (not isinstance(root, MappingNode) and root.tag == NULL):
        return []
    if not isinstance(root, MappingNode):
        return None
    entries = []
    for key_node, value_node in root.value:
        items = tuple(Located.at_mark(path, n.start_mark) for n in value_node.value) \
            if isinstance(value_node, SequenceNode) else ()
        entries.append((scalar_value(key_node, path), Located.at_mark(path, key_node.start_mark),
                        plain(value_node, path), Located.at_mark(path, value_node.start_mark), items))
    return entries
