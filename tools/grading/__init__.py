"""Grading submitted notebooks out of the student's reach (see batch.py for the command, worker.py for one notebook).

kernel.py   runs a notebook cell by cell in its own kernel, with a time limit kept outside the kernel
judge.py    the trusted check, in the grader's process, calls the student's function in the kernel
aliases.py  a graded function that is only an alias of chapter or vaebook code gets no points
worker.py   one submission: identify, run, judge each graded exercise after its cells, keep the executed notebook
batch.py    a folder of submissions → one gradebook CSV, feedback files, in parallel, resumable
written.py  written exercises: exported for manual grading, merged back into the gradebook
marks.py    where a handed-out (reader) notebook's exercises are: the build's cell marks, else the headings
"""
