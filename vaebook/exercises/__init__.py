"""Check functions that students call on their own implementations, one module per chapter.

A check never raises because the student's code is wrong: it runs the code, compares it with the reference on
well-chosen inputs, and prints what is right and what is wrong in words. It returns a :class:`CheckReport`, which
is truthy when every check passed::

    from vaebook.exercises import check_gaussian_kl
    check_gaussian_kl(my_gaussian_kl)
"""

from vaebook._autoexport import export_submodules
from vaebook.exercises._checking import CheckReport, Checker

__all__ = ["CheckReport", "Checker", *export_submodules(__name__, globals())]
