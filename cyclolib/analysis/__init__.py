"""Stages 5 and 6: the expert's analysis of the values and the uses of results.

Each module serves one kind of product:

- :mod:`.objectivity`: signs of non-objective results and the objectivity index;
- :mod:`.low_results`: schools with low results (ШНОР) and their profiles;
- :mod:`.value_added`: the expected result from context, value added and bands;
- :mod:`.rating`: ratings of municipalities and schools with rank intervals;
- :mod:`.development`: skills with insufficient completion as training topics;
- :mod:`.allocation`: a budget shared by need and results;
- :mod:`.uses`: the 39 kinds of use of the specification's list (DOMAIN.md
  counts 36) and their products.

Every function reads the results table at student level and returns frames with
stable English column names; :data:`.export.COLUMN_NAMES` gives their Russian
headings for the lists a methodologist reads.
"""
