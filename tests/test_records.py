"""``@record`` classes (``seedfeed.records``) behave as the dataclasses they replaced. Records made positionally
(the cold path's 100,000 of each, and ``models.stub``) are the records made by keyword: equal field by field,
frozen, and refused when a field is missing or extra."""

from __future__ import annotations

import pickle
import sys
from datetime import UTC, datetime

import pytest
from seedfeed.extraction.probe import Probe
from seedfeed.models import Document, Item, RawDoc, stub
from seedfeed.records import FrozenInstanceError, field, fields, record, replace
from seedfeed.sources.seeds import Read
from seedfeed.state.merge import Observed

WHEN = datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_assembled_records_equal_the_initialised_ones():
    doc = Document(key="a/b.md", origin="/s/a/b.md", title="", summary="", body_html="", published=WHEN,
                   updated=None, explicit_id="x")
    cases = [
        (RawDoc(key="k", origin="o", kind="md", data=b"text", mtime=WHEN),
         RawDoc("k", "o", "md", b"text", WHEN, None, None)),
        (doc, stub("a/b.md", "/s/a/b.md", WHEN, None, "x")),
        (Observed(doc, WHEN, 3, 4, "raw:ab", stub=True), Observed(doc, WHEN, 3, 4, "raw:ab", True)),
        (Item("urn:x", "b", doc, WHEN, WHEN, "raw:ab"), Item("urn:x", "b", doc, WHEN, WHEN, "raw:ab")),
        (Probe("raw:ab", warnings=("w",)), Probe("raw:ab", None, None, None, ("w",))),
    ]
    for made, assembled in cases:
        assert type(assembled) is type(made)
        assert assembled == made
        assert repr(assembled) == repr(made)
        assert vars(assembled) == vars(made) and list(vars(assembled)) == list(vars(made))
        with pytest.raises(FrozenInstanceError):
            assembled.key = "changed"  # type: ignore[misc]
    assert hash(cases[4][1]) == hash(cases[4][0])
    # the stub is what the probe path stored before: a Document with only its key, origin, dates and id
    assert stub("k", "o", None, None, None) == Document(key="k", origin="o", title="", summary="", body_html="")
    # a plain (not frozen) dataclass: the same fields in the same order, and as mutable as one made by __init__
    observed = cases[2][0]
    read = Read(observed, None, ["w"])
    assert read == Read(observed, warnings=["w"]) and list(vars(read)) == list(vars(Read()))
    read.warnings.append("x")
    assert read.warnings == ["w", "x"]


def test_a_positional_record_refuses_a_wrong_number_of_fields():
    with pytest.raises(TypeError):
        RawDoc("k", "o", "md", b"text")                  # a required field missing (mtime)
    with pytest.raises(TypeError):
        Item("urn:x", "b", None, WHEN, WHEN, "raw:ab", 1)  # one too many


def test_assembled_records_take_no_more_memory():
    """Filled in field order, an assembled record's dict shares its keys like one made by ``__init__``."""
    made = Document(key="k", origin="o", title="", summary="", body_html="")
    assembled = stub("k", "o", None, None, None)
    assert sys.getsizeof(assembled.__dict__) <= sys.getsizeof(made.__dict__)


def test_read_bytes_reads_every_byte_and_fails_as_open_does(tmp_path):
    from seedfeed.sources.seeds import read_bytes

    for size in (0, 1, 2500, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 12345):
        path = tmp_path / f"f{size}"
        data = (bytes(range(256)) * (size // 256 + 2))[size % 256:size % 256 + size]   # no two sizes alike
        path.write_bytes(data)
        assert len(data) == size
        assert read_bytes(str(path)) == data
    with pytest.raises(FileNotFoundError):
        read_bytes(str(tmp_path / "missing"))
    with pytest.raises(IsADirectoryError):
        read_bytes(str(tmp_path))


@record
class _Frozen:
    name: str
    tags: list[str] = field(default_factory=list)
    size: int = 0
    note: str = field(default="", compare=False, repr=False)


@record(frozen=False)
class _Mutable:
    count: int = 0
    seen: set[str] = field(default_factory=set)


def test_a_record_is_what_dataclass_made():
    a = _Frozen("x")
    assert (a.name, a.tags, a.size, a.note) == ("x", [], 0, "")
    assert _Frozen("x").tags is not a.tags                       # each gets its own list from the factory
    assert _Frozen("x", size=2) == _Frozen(name="x", tags=[], size=2) != _Frozen("x", size=3)
    assert _Frozen("x", note="a") == _Frozen("x", note="b")      # compare=False: not compared
    assert repr(a) == "_Frozen(name='x', tags=[], size=0)"       # repr=False: not shown
    assert a != ("x", [], 0) and (a == object()) is False
    with pytest.raises(FrozenInstanceError):
        a.size = 1  # type: ignore[misc]
    with pytest.raises(AttributeError):                          # as dataclasses': an AttributeError
        del a.name  # type: ignore[misc]
    with pytest.raises(TypeError):
        hash(a)                                                  # a list field: unhashable, as with dataclass
    frozen = _Frozen("x", tags=("t",))  # type: ignore[arg-type]
    assert hash(frozen) == hash(_Frozen("x", tags=("t",), note="other"))  # type: ignore[arg-type]
    assert [f.name for f in fields(a)] == ["name", "tags", "size", "note"] == list(_Frozen.__match_args__)
    b = replace(a, size=5)
    assert (b.name, b.size) == ("x", 5) and a.size == 0
    assert pickle.loads(pickle.dumps(frozen)) == frozen
    with pytest.raises(TypeError):
        _Frozen()  # type: ignore[call-arg]
    m = _Mutable()
    m.count += 1
    m.seen.add("k")
    assert m == _Mutable(1, {"k"}) and _Mutable().seen == set()
    with pytest.raises(TypeError):
        hash(m)                                                  # mutable and compared by value: unhashable


def test_a_record_refuses_what_dataclass_refuses():
    with pytest.raises(ValueError):
        @record
        class MutableDefault:
            tags: list[str] = []  # noqa: RUF012
    with pytest.raises(TypeError):
        @record
        class Order:
            a: int = 0
            b: int  # type: ignore[misc]
    with pytest.raises(TypeError):
        @record
        class Child(_Frozen):
            extra: int = 0
    with pytest.raises(TypeError):
        fields(object())
