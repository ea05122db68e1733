"""Batch HTML reports: every stage notebook for every unit of a level.

:mod:`cyclolib.reports.runner` plans and runs a batch (locally, on worker
processes or on a Dask cluster); :mod:`cyclolib.reports.execute` executes one
notebook in-process; :mod:`cyclolib.reports.html` exports it to a self-contained
HTML page; :mod:`cyclolib.reports.cycle` serves notebooks 00 and 01.
"""
