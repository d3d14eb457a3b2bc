"""Every failure a user can cause, as one small tree, so the CLI can map it to an exit code.

    ExplainerError                 anything the user can fix; never shown as a traceback
     ├── SpecError                 the lesson spec is malformed (lists every problem at once)
     ├── DivergenceError           the learning rate makes the run blow up
     ├── CheckFailed               the document's own arithmetic did not verify
     ├── TemplateError             a (teacher's) template is broken: names file and line
     ├── ExportError               a format could not be written (e.g. a missing optional package)
     └── InputError                a file to read is missing, unreadable or not text
"""
from __future__ import annotations


class ExplainerError(Exception):
    """Base of every error that is the user's to fix; `str()` is the whole message."""

    exit_code = 2


class SpecError(ExplainerError):
    """A lesson spec with one or more problems; each problem names its field and the fix."""

    def __init__(self, problems: list[str], source: str = "lesson spec"):
        self.problems = list(problems)
        self.source = source
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s):\n{lines}")


class DivergenceError(ExplainerError):
    """The run overflowed; raised unless the spec asks for divergence to be shown."""


class CheckFailed(ExplainerError):
    """The rendered document failed its own arithmetic check; nothing was written."""

    exit_code = 1

    def __init__(self, findings: list, where: str = "generated document"):
        self.findings = list(findings)
        lines = "\n".join(f"  {where}:{f.line}: {f.message}" for f in self.findings)
        super().__init__(
            f"the {where} failed its own check ({len(self.findings)} finding(s)); no file written:\n{lines}"
        )


class TemplateError(ExplainerError):
    """A template could not be loaded or rendered."""


class ExportError(ExplainerError):
    """One output format could not be produced."""


class InputError(ExplainerError):
    """A file given on the command line cannot be read."""
