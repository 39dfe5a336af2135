r"""One expression language for run filters and gates: one tokenizer, one parser, one tree.

``metrics.auc > 0.9`` means the same in ``search_runs``/``--filter`` and in a promotion
``--check`` or a pipeline step's ``gate``, with the same operators, quoting and errors.
Two evaluators read the tree: the store compiles a filter to SQL
(:mod:`jupyter_mlops.store.search`), :mod:`~jupyter_mlops.expressions.values` evaluates a
gate against a mapping of values. Nothing is ever passed to ``eval``.

Grammar (keywords are case-insensitive; ``not`` binds tighter than ``and``, ``and``
tighter than ``or``; ``*`` and ``/`` tighter than ``+`` and ``-``)::

    expression := or_expr EOF
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | condition
    condition  := sum [ OP sum
                      | ["not"] ("like" | "ilike") sum
                      | ["not"] "in" "(" sum ("," sum)* ")"
                      | "is" ["not"] "null" ]
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := ("-" | "+") unary | primary
    primary    := NUMBER | STRING | "true" | "false" | NAME | "(" or_expr ")"
    OP         := "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">="

``and``, ``or``, ``not`` and the whole expression take conditions (a comparison, or
``true``/``false``); comparisons and arithmetic take values. Comparisons do not chain:
write ``a < b and b < c``. A NAME is dotted parts of any depth
(``production.metrics.roc_auc``); a bare part is ``[A-Za-z0-9_]+`` (the first one starts
with a letter or ``_``), and any part, the first too, may be quoted with backticks (or,
after the first, double quotes): ``metrics.`val-loss```, ```params`.`my key```. Strings
take single or double quotes and, as in MLflow, a backslash is not an escape:
``'C:\temp\x'`` is the text typed, and a backslash keeps the character after it inside the
string (``'a\'b'`` is the four characters ``a\'b``). A doubled quote stands for one quote,
as in SQL (MLflow keeps both). In a LIKE pattern ``%`` is any text, ``_`` one character,
``\%`` and ``\_`` themselves; LIKE is case-sensitive, ILIKE is not.

A run filter (:func:`parse_filter`) compares one name with literal values in each
condition; arithmetic (``+ - * /``) is for gates, and a filter refuses it with one line.
Its names are ``metrics.KEY``, ``params.KEY``, ``tags.KEY`` (also ``metric.``, ``param.``,
``tag.``) or an attribute (:data:`ATTRIBUTES`), optionally written ``attributes.NAME``
(also ``attribute.``, ``attr.``, ``run.``). MLflow's attribute names are aliases:
``run_name``, ``user_id``, ``run_uuid``, ``experiment_name``, ``created`` (start time) and
``Run name``; ``tags.mlflow.runName`` is the run name, which MLflow mirrors into that tag.
``datasets.name``, ``datasets.digest`` and ``datasets.context`` (the role, such as
``training``) hold when some dataset the run used (an input) matches; runs are not ordered
by them.
Metrics and the time attributes compare with numbers; params, tags and the other
attributes compare as strings, and a number compared with them stands for its Python string
form (``params.C = 0.5`` is ``params.C = '0.5'``, the way ``log_param`` stores it).
``start_time`` and ``end_time`` take epoch seconds, epoch milliseconds (MLflow's unit: any
number of at least 1e11, which as seconds would be after the year 5000, is read as
milliseconds) or ISO dates (UTC unless an offset is given). ``status`` compares with one
of :data:`RUN_STATUSES` or MLflow's ``SCHEDULED`` (which no run has) in any case; LIKE and
ILIKE on it see MLflow's upper-case names (``status LIKE 'FIN%'``). ``order_by`` items
(:func:`parse_order_by`) use the same names, then ``ASC`` or ``DESC``; as in MLflow a NaN
metric sorts after every number and before missing values in either direction, missing
values last, and ties newest first (unless ``start_time`` is a key), then by run id.

A gate (:func:`parse_gate`, :func:`evaluate`) may name anything its context holds, compute
with ``+ - * /``, and use LIKE, IN and IS NULL with the semantics of a run search (see
:mod:`~jupyter_mlops.expressions.values`).

Limits: an expression of more than :data:`MAX_LENGTH` (10,000) characters, nested more
than :data:`MAX_DEPTH` (20) levels of parentheses, ``not`` and signs, or holding more than
:data:`MAX_TERMS` (500) names and values is refused with a
:class:`~jupyter_mlops.errors.FilterSyntaxError` before anything else runs, instead of
failing deep in Python or the database. A filter a person writes nests two to four levels
and holds a few dozen terms. The limits are set by what every store accepts for the
biggest filter: SQLite's parser (a 100-entry stack in the builds Python ships) overflows at
about 30 nested parentheses of the SQL a filter compiles to, and 20 leaves a margin; 500
terms make at most 500 conditions, which the store joins with one flat ``OR``, well inside
SQLite's expression depth of 1,000, and bind fewer than SQLite's oldest limit of 999
parameters; 10,000 characters hold 500 terms of a typical length.

Errors are :class:`~jupyter_mlops.errors.FilterSyntaxError` (a usage error: exit 2 on the
command line, HTTP 400) reading ``Invalid filter at position N: ...`` (``gate``,
``order_by``), with the 0-based ``position`` and the ``expression``.
"""

from jupyter_mlops.expressions.filters import (
    ATTRIBUTES,
    RUN_STATUSES,
    Comparison,
    Kind,
    Node,
    Value,
    parse_filter,
)
from jupyter_mlops.expressions.order import OrderKey, parse_order_by
from jupyter_mlops.expressions.parser import MAX_DEPTH, MAX_LENGTH, MAX_TERMS, parse
from jupyter_mlops.expressions.syntax import (
    And,
    Arith,
    Compare,
    Expr,
    Literal,
    Not,
    Or,
    Ref,
    Unary,
)
from jupyter_mlops.expressions.tokens import Token, TokenKind, tokenize
from jupyter_mlops.expressions.values import (
    Gate,
    GateResult,
    Missing,
    evaluate,
    evaluate_all,
    parse_gate,
    refused,
)

__all__ = [
    "ATTRIBUTES",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_TERMS",
    "RUN_STATUSES",
    "And",
    "Arith",
    "Compare",
    "Comparison",
    "Expr",
    "Gate",
    "GateResult",
    "Kind",
    "Literal",
    "Missing",
    "Node",
    "Not",
    "Or",
    "OrderKey",
    "Ref",
    "Token",
    "TokenKind",
    "Unary",
    "Value",
    "evaluate",
    "evaluate_all",
    "parse",
    "parse_filter",
    "parse_gate",
    "parse_order_by",
    "refused",
    "tokenize",
]
