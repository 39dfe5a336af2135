"""Verbs declared once: both ``%mlops VERB`` and ``jupyter-mlops VERB`` are built from them.

A :class:`Verb` names its options with :class:`Opt`. An option that fills a field of the
verb's request record (a service's input, also the REST API's query or body) takes its
type, default and help from that field, so the magic, the command line and the REST API
cannot disagree about them; an option only one face has (``--format``) declares its own.
:func:`build` turns a verb into an ``argparse`` parser of the face's parser class, and
:func:`request` turns what was parsed into the request record, with one-line errors.
"""

from __future__ import annotations

import argparse
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

import pydantic
from pydantic.fields import FieldInfo

from jupyter_mlops.errors import MlopsUsageError, OptionError
from jupyter_mlops.keyvalue import split
from jupyter_mlops.services.schema.base import Request, explain

Face: TypeAlias = Literal["cli", "magic"]
BOTH: frozenset[Face] = frozenset(("cli", "magic"))
CLI: frozenset[Face] = frozenset(("cli",))
MAGIC: frozenset[Face] = frozenset(("magic",))


@dataclass(frozen=True)
class Opt:
    """One option (``flags`` given) or positional (no flags) of a verb.

    ``dest`` is the request field it fills; an option of one face only that fills no field
    gives ``parse``/``default``/``choices``/``switch`` itself.
    """

    dest: str
    flags: tuple[str, ...] = ()
    metavar: str | None = None
    help: str | None = None
    faces: frozenset[Face] = BOTH
    parse: Callable[[str], Any] | None = None
    default: Any = None
    choices: tuple[str, ...] = ()
    switch: bool = False
    repeat: bool = False
    #: For a positional: "?" optional, "*"/"+" a list.
    nargs: str | None = None
    #: Faces in which an optional positional (``nargs="?"``) must be given after all.
    required_in: frozenset[Face] = frozenset()


@dataclass(frozen=True)
class Verb:
    """A verb (or one action of a verb, such as ``schedule add``) and its options."""

    name: str
    summary: str
    example: str = ""
    request: type[Request] | None = None
    opts: tuple[Opt, ...] = ()
    #: Actions (``add``, ``list``, ...), each a Verb; ``default`` runs when none is given.
    actions: tuple[Verb, ...] = ()
    default: str | None = None
    #: More text for ``--help`` (what the verb does in detail, examples).
    description: str = ""
    faces: frozenset[Face] = BOTH
    #: Whether ``%%mlops VERB`` takes a cell body.
    cell: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def action(self, name: str) -> Verb:
        """The action ``name`` of this verb."""
        for action in self.actions:
            if action.name == name:
                return action
        raise KeyError(name)


# -- building parsers ------------------------------------------------------------------------


def _unwrap_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _shape(info: FieldInfo) -> str:
    """``switch``, ``list``, ``pairs`` (KEY=VALUE) or ``value``: how a field is typed in."""
    annotation = _unwrap_optional(info.annotation)
    origin = typing.get_origin(annotation)
    if annotation is bool:
        return "switch"
    if origin in (list, tuple, Sequence):
        return "list"
    if origin is dict:
        return "pairs"
    return "value"


def _pair(text: str) -> tuple[str, str]:
    try:
        return split(text)
    except MlopsUsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _help(opt: Opt, info: FieldInfo | None) -> str | None:
    text = opt.help or (info.description if info is not None else None)
    many = opt.repeat or (info is not None and _shape(info) in ("list", "pairs"))
    if text and many and opt.flags and "repeatable" not in text:
        text = f"{text} (repeatable)"
    return text


def text_or_json(record: str = "", *, help: str | None = None, default: Any = "text") -> Opt:
    """The command line's ``--format text|json``; json prints the REST API's ``record``
    (``help`` says it otherwise)."""
    return Opt(
        "format",
        ("--format",),
        choices=("text", "json"),
        default=default,
        faces=CLI,
        help=help or f"text for people (default); json (the REST API's {record}) for scripts",
    )


def one_of(*choices: str) -> Callable[[str], str]:
    """An argparse ``type`` accepting one of ``choices``, with a message of our own."""

    def parse(text: str) -> str:
        if text not in choices:
            expected = ", ".join(choices[:-1]) + f" or {choices[-1]}"
            raise argparse.ArgumentTypeError(f"expected {expected}, not {text!r}")
        return text

    return parse


def _add(
    parser: argparse.ArgumentParser, opt: Opt, model: type[Request] | None, face: Face
) -> None:
    info = model.model_fields.get(opt.dest) if model is not None else None
    kwargs: dict[str, Any] = {"dest": opt.dest, "help": _help(opt, info)}
    if opt.metavar:
        kwargs["metavar"] = opt.metavar
    # Defaults stay None so the request's own default applies to what was not typed.
    kwargs["default"] = opt.default if info is None else None
    shape = _shape(info) if info is not None else ("switch" if opt.switch else "value")
    if shape == "switch":
        kwargs.pop("metavar", None)
        negative = any(flag.startswith("--no-") for flag in opt.flags)
        kwargs["action"] = "store_false" if negative else "store_true"
        if info is not None:
            kwargs["default"] = None
    elif shape == "pairs":
        kwargs.update(action="append", type=_pair)
        if not opt.flags:  # KEY=VALUE words as positionals: one or more
            kwargs.update(action="extend", nargs=opt.nargs or "+")
    elif shape == "list" or opt.repeat:
        if opt.flags and opt.nargs:  # ``--experiments a b``: one or more words, repeatable
            kwargs.update(action="extend", nargs=opt.nargs)
        elif opt.flags:
            kwargs["action"] = "append"
        else:
            kwargs["nargs"] = opt.nargs or "+"
        if opt.parse:
            kwargs["type"] = opt.parse
    else:
        if opt.parse:
            kwargs["type"] = opt.parse
        if not opt.flags and opt.nargs and face not in opt.required_in:
            kwargs["nargs"] = opt.nargs
    if opt.choices:
        kwargs["type"] = one_of(*opt.choices)
        kwargs.setdefault("metavar", "{" + ",".join(opt.choices) + "}")
    if opt.flags:
        parser.add_argument(*opt.flags, **kwargs)
    else:
        kwargs.pop("dest")
        if kwargs.get("nargs") is None and info is not None and not info.is_required():
            kwargs["nargs"] = "?"
        parser.add_argument(opt.dest, **kwargs)


def build(
    verb: Verb,
    parser: argparse.ArgumentParser,
    face: Face,
    *,
    subparser: Callable[[argparse._SubParsersAction[Any], Verb], argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Fill ``parser`` with the options of ``verb`` that ``face`` has, and its actions.

    ``subparser(actions, action)`` adds the parser of one action (so each face keeps its own
    parser class and help layout).
    """
    for opt in verb.opts:
        if face in opt.faces:
            _add(parser, opt, verb.request, face)
    actions = [a for a in verb.actions if face in a.faces]
    if actions:
        group = parser.add_subparsers(dest="action", metavar="ACTION", title="actions")
        for action in actions:
            sub = subparser(group, action)
            build(action, sub, face, subparser=subparser)
    return parser


# -- from parsed words to the request --------------------------------------------------------


def selected(verb: Verb, args: argparse.Namespace) -> Verb:
    """The action ``args`` chose (the verb's default action when none was typed)."""
    if not verb.actions:
        return verb
    name = getattr(args, "action", None) or verb.default
    if name is None and verb.request is not None:
        return verb  # a verb that does its own job when no action is typed (``runs``)
    if name is None:
        names = ", ".join(a.name for a in verb.actions)
        raise MlopsUsageError(f"give an action: {names}.")
    return verb.action(name)


def option_names(verb: Verb) -> dict[str, str]:
    """Request field -> how argparse names its option (``argument -n/--limit``), for errors."""
    return {
        opt.dest: "argument " + ("/".join(opt.flags) or opt.metavar or opt.dest.upper())
        for opt in verb.opts
    }


def request(verb: Verb, args: argparse.Namespace, **fixed: Any) -> Any:
    """The request record of the verb (or its chosen action) from ``args``, plus ``fixed``.

    Raises:
        OptionError: a value the record refuses, named as the user typed it.
    """
    name = verb.name
    if verb.actions:
        chosen = selected(verb, args)
        if chosen is not verb:
            verb, name = chosen, f"{name} {chosen.name}"
    model = verb.request
    if model is None:
        raise TypeError(f"verb {verb.name!r} declares no request record")
    values: dict[str, Any] = {}
    for opt in verb.opts:
        if opt.dest not in model.model_fields:
            continue
        value = getattr(args, opt.dest, None)
        if value is None:
            continue
        if _shape(model.model_fields[opt.dest]) == "pairs":
            value = dict(value)
        values[opt.dest] = value
    values.update(fixed)
    try:
        return model.model_validate(values)
    except pydantic.ValidationError as exc:
        raise OptionError(explain(exc, option_names(verb)).rstrip("."), verb=name) from None
