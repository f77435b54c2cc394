"""Record classes: what ``@dataclass`` makes, for a fraction of its start-up cost.

Why not :mod:`dataclasses`: every ``seedfeed build`` that has work to do imports the pipeline, and its 23
record classes cost ~14 ms of CPU to create with ``@dataclass`` (it compiles six small functions per class)
plus ~5 ms to import dataclasses itself (it imports inspect, and that ast, dis and tokenize). That was a third of
what a one-change rebuild paid over a no-change one, and 3 % of a 10,000-document cold build (issue #12).
``@record`` compiles one function per class, ``__init__``; equality, hashing, ``repr`` and the frozen guard are
methods shared by every record, reading the class's field names.

What a record has, as a dataclass would: fields from the class's annotations, in order; a default (a class
attribute) or :func:`field` (``default``, ``default_factory``, ``compare``, ``repr``); ``__init__`` taking them
positionally or by name; ``==`` and, when frozen, ``hash`` over the compared fields; ``repr``;
``__match_args__``; frozen by default (assignment raises :class:`FrozenInstanceError`, an AttributeError);
:func:`fields` and :func:`replace`. Copying and pickling work as for any class with a ``__dict__``.
What it refuses rather than get wrong: a field without a default after one with a default, a mutable default
(use ``default_factory``), a record inheriting from a record. No ``__post_init__``, slots or ordering.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform

_T = TypeVar("_T")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class FrozenInstanceError(AttributeError):
    """Assigning to (or deleting) a field of a frozen record."""


class Field:
    """One field of a record: its name, annotation (a string) and default."""

    __slots__ = ("name", "type", "default", "default_factory", "compare", "repr")

    def __init__(self, default: Any = MISSING, default_factory: Callable[[], Any] | Any = MISSING,
                 compare: bool = True, repr: bool = True) -> None:  # noqa: A002 - dataclasses' name
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("a field cannot have both a default and a default_factory")
        self.name = ""
        self.type: Any = None
        self.default = default
        self.default_factory = default_factory
        self.compare = compare
        self.repr = repr

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, type={self.type!r}, default={self.default!r})"


def field(*, default: Any = MISSING, default_factory: Callable[[], Any] | Any = MISSING, compare: bool = True,
          repr: bool = True) -> Any:  # noqa: A002 - dataclasses' name
    """A field's options, as the class attribute: ``tags: list[str] = field(default_factory=list)``."""
    return Field(default, default_factory, compare, repr)


@dataclass_transform(field_specifiers=(field, Field), frozen_default=True)
def record(cls: type[_T] | None = None, /, *, frozen: bool = True) -> Any:
    """Make ``cls`` a record class: ``@record`` (frozen) or ``@record(frozen=False)``."""
    if cls is None:
        return lambda cls: _make(cls, frozen)
    return _make(cls, frozen)


def fields(record_or_class: Any) -> tuple[Field, ...]:
    """The fields of a record or record class, in order."""
    try:
        return record_or_class.__record_fields__
    except AttributeError:
        raise TypeError(f"{record_or_class!r} is not a record or record class") from None


def replace(obj: _T, /, **changes: Any) -> _T:
    """A copy of the record ``obj`` with ``changes`` (made through ``__init__``, like ``dataclasses.replace``)."""
    for f in fields(obj):
        if f.name not in changes:
            changes[f.name] = getattr(obj, f.name)
    return obj.__class__(**changes)


def _make(cls: type[_T], frozen: bool) -> type[_T]:
    namespace = cls.__dict__
    if any(hasattr(base, "__record_fields__") for base in cls.__mro__[1:]):
        raise TypeError(f"{cls.__qualname__}: a record cannot inherit from a record")
    found: list[Field] = []
    for name, annotation in namespace.get("__annotations__", {}).items():
        value = namespace.get(name, MISSING)
        spec = value if isinstance(value, Field) else Field(default=value)
        spec.name, spec.type = name, annotation
        if isinstance(spec.default, (list, dict, set)):
            raise ValueError(f"{cls.__qualname__}.{name}: mutable default {type(spec.default).__name__}: "
                             "use default_factory")
        found.append(spec)
        if spec.default is not MISSING:
            setattr(cls, name, spec.default)
        elif isinstance(value, Field):
            delattr(cls, name)
    specs = tuple(found)
    cls.__record_fields__ = specs  # type: ignore[attr-defined]
    cls.__init__ = _init(cls, specs)  # type: ignore[misc]
    cls.__match_args__ = tuple(f.name for f in specs)  # type: ignore[attr-defined]
    compared = [f.name for f in specs if f.compare]
    cls._record_key = staticmethod(_key(compared))  # type: ignore[attr-defined]
    cls._record_shown = tuple(f.name for f in specs if f.repr)  # type: ignore[attr-defined]
    cls.__eq__ = _eq  # type: ignore[method-assign]
    cls.__repr__ = _repr  # type: ignore[method-assign]
    if frozen:
        cls.__hash__ = _hash  # type: ignore[method-assign]
        cls.__setattr__ = _refuse_set  # type: ignore[method-assign]
        cls.__delattr__ = _refuse_delete  # type: ignore[method-assign]
    else:
        cls.__hash__ = None  # type: ignore[assignment]   # as a mutable dataclass: equal by value, so unhashable
    return cls


def _init(cls: type, specs: tuple[Field, ...]) -> Callable[..., None]:
    """``__init__``, compiled once for the class: one store into the instance's ``__dict__`` per field (which
    also passes a frozen class's guard; the dict shares its keys with the other instances', as usual)."""
    scope: dict[str, Any] = {"MISSING": MISSING}
    params, stores, seen_default = [], [], False
    for f in specs:
        if f.default is not MISSING:
            scope[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
            seen_default = True
        elif f.default_factory is not MISSING:
            scope[f"_factory_{f.name}"] = f.default_factory
            params.append(f"{f.name}=MISSING")
            stores.append(f"    if {f.name} is MISSING:\n        {f.name} = _factory_{f.name}()\n")
            seen_default = True
        elif seen_default:
            raise TypeError(f"{cls.__qualname__}: field {f.name!r} without a default follows one with a default")
        else:
            params.append(f.name)
    if {"self", "attributes"} & {f.name for f in specs}:
        raise TypeError(f"{cls.__qualname__}: a field name clashes with __init__'s own names")
    stores.append("    attributes = self.__dict__\n")
    stores.extend(f"    attributes[{f.name!r}] = {f.name}\n" for f in specs)
    source = f"def __init__(self, {', '.join(params)}):\n{''.join(stores)}"
    exec(source, scope)   # field names are identifiers (annotations): the source is only these statements
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    return init


def _key(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        single = attrgetter(names[0])
        return lambda obj: (single(obj),)
    return lambda obj: ()


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return self._record_key(self) == other._record_key(other)


def _hash(self: Any) -> int:
    return hash(self._record_key(self))


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._record_shown)
    return f"{self.__class__.__qualname__}({shown})"


def _refuse_set(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _refuse_delete(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")
