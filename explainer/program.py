"""The lesson as a plain NumPy program: printed for the reader, and run to make the numeric trace.

The program text comes from a template and from trees printed by :class:`PythonPrinter`, never from
the spec's strings, so running it executes only code this module wrote. Running it once gives both
its printed output (pasted into the document) and its ``history`` list, from which
:mod:`explainer.trace` reads every epoch: the reader can run the same code and see the same lines.
"""
from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass
from fractions import Fraction

from . import expr as E
from .derive import Derivation
from .render import render
from .spec import TARGET, Lesson

@dataclass(frozen=True)
class Program:
    code: str
    output: str
    history: list  # one tuple per epoch: loss, gradients…, parameters after…, velocities…


class PythonPrinter:
    """NumPy source for a tree, dispatching on node type like the LaTeX printer."""

    _PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 3}
    _CALLS = {"exp": "np.exp", "log": "np.log", "sqrt": "np.sqrt", "abs": "np.abs", "sign": "np.sign",
              "huber": "huber", "huber_slope": "huber_slope"}

    def __init__(self, names: dict[str, str]):
        self.names = names

    def print(self, node: E.Expr) -> str:
        return getattr(self, "_print_" + type(node).__name__)(node)

    def _prec(self, node: E.Expr) -> int:
        if isinstance(node, E.BinOp):
            return self._PREC[node.op]
        if isinstance(node, E.Neg) or (isinstance(node, E.Num) and node.value < 0):
            return 1.5
        return 4

    def _print_Num(self, node: E.Num) -> str:
        return node.text

    def _print_Sym(self, node: E.Sym) -> str:
        return self.names.get(node.name, node.name)

    def _print_Group(self, node: E.Group) -> str:
        return f"({self.print(node.inner)})"

    def _print_Neg(self, node: E.Neg) -> str:
        inner = self.print(node.operand)
        return f"-({inner})" if self._prec(node.operand) <= 2 else f"-{inner}"

    def _print_Call(self, node: E.Call) -> str:
        arg = self.print(node.args[0])
        if node.func == "sigma":
            return f"1 / (1 + np.exp(-({arg})))"
        return f"{self._CALLS[node.func]}({arg})"

    def _print_BinOp(self, node: E.BinOp) -> str:
        prec = self._PREC[node.op]
        left = self.print(node.left)
        right = self.print(node.right)
        if self._prec(node.left) < prec or (node.op == "^" and self._prec(node.left) <= prec):
            left = f"({left})"
        if self._prec(node.right) < prec or (node.op in "-/" and self._prec(node.right) <= prec) or self._prec(node.right) == 1.5:
            right = f"({right})"
        op = {"^": "**"}.get(node.op, node.op)
        return f"{left} {op} {right}"


def program_source(lesson: Lesson, derivation: Derivation, learning_rate: Fraction | None = None) -> str:
    inputs = list(lesson.inputs)
    names = lesson.parameter_names
    arrays = {n: ("X" if len(inputs) == 1 else n.upper()) for n in inputs}
    model = PythonPrinter({n: n for n in inputs}).print(lesson.model.tree)
    point = PythonPrinter({**{n: n for n in inputs}, "f": "y_pred", TARGET: "y"})
    context = {
        "lesson": lesson,
        "inputs": inputs,
        "arrays": arrays,
        "data": {n: ", ".join(repr_number(v) for v in lesson.column(n)) for n, _ in lesson.data}
        if lesson.data_file is None else {},
        "data_file": lesson.data_file,
        "unpacked": ", ".join([arrays[n] for n in inputs] + ["Y"]),
        "params": [(n, float(v)) for n, v in lesson.parameters],
        "model": model,
        "loss": point.print(derivation.loss_summand_f),
        "gradients": [(p.parameter, point.print(p.summand_f)) for p in derivation.partials],
        "gradient_names": ", ".join(f"d{p}" for p in lesson.parameter_names),
        "predict": [", ".join(repr_number(float(v)) for v in point) for point in lesson.document.predict],
        "learning_rate": repr_number(float(learning_rate if learning_rate is not None else lesson.learning_rate)),
        "history_items": ", ".join(
            ["l"] + [f"d{n}" for n in names] + list(names)
            + ([f"v{n}" for n in names] if lesson.optimizer.kind == "momentum" else [])),
        "optimizer": lesson.optimizer,
        "momentum": repr_number(float(lesson.optimizer.momentum)),
        "delta": repr_number(float(lesson.loss.delta)),
    }
    return render("program.py.j2", context, kind="code", lang=lesson.language)


def repr_number(value: float) -> str:
    """``2`` for 2.0 and ``0.01`` for 0.01: the data as a person would type it."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def run(lesson: Lesson, derivation: Derivation, learning_rate: Fraction | None = None) -> Program:
    code = program_source(lesson, derivation, learning_rate)
    out = io.StringIO()
    namespace = {"__name__": "__lesson__"}
    folder = lesson.data_file.folder if lesson.data_file is not None else "."
    # the program names its data file relative to the lesson, as the reader will run it
    with contextlib.chdir(folder), contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a diverging run overflows; the trace reports it
        exec(compile(code, "<lesson program>", "exec"), namespace)  # our own generated code, see above
    return Program(code, out.getvalue(), namespace["history"])
